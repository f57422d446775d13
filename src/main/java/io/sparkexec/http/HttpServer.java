package io.sparkexec.http;

import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.withRequestTimeoutResponse;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds the rooms' routes on one port with the shared edge: JSON errors for everything,
 * request metrics, br/gzip/deflate responses and request bodies ({@link HttpCompression}),
 * graceful unbind on shutdown.
 */
public final class HttpServer {

  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

  public record Settings(String host, int port, Duration hardDeadline, HttpCompression.Settings compression) {
    public Settings(String host, int port, Duration hardDeadline) {
      this(host, port, hardDeadline, HttpCompression.Settings.DEFAULTS);
    }

    public static Settings fromConfig(Config http) {
      return new Settings(http.getString("host"), http.getInt("port"), Duration.ofSeconds(11), HttpCompression.Settings.fromConfig(http));
    }
  }

  /** The shutdown's reason when the port cannot be bound (Main exits with its own code for it). */
  public enum BindFailed implements CoordinatedShutdown.Reason {
    INSTANCE
  }

  private HttpServer() {}

  public static Route edge(List<Route> routes) {
    return edge(routes, RouteMetrics.Listener.NONE, HttpCompression.Settings.DEFAULTS);
  }

  public static Route edge(List<Route> routes, RouteMetrics.Listener responses, HttpCompression.Settings compression) {
    Route sealed = concat(routes.get(0), routes.subList(1, routes.size()).toArray(Route[]::new))
        .seal(ApiErrors.rejectionHandler(), ApiErrors.exceptionHandler());
    return RouteMetrics.timed(() -> withRequestTimeoutResponse(
        request -> ApiErrors.response(503, "REQUEST_TIMEOUT", "the server did not answer in time; retry (orders: with the same clientOrderId)", null, null),
        () -> HttpCompression.edge(compression, () -> sealed)), responses);
  }

  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, Settings settings, List<Route> routes) {
    return start(system, settings, routes, RouteMetrics.Listener.NONE);
  }

  /** {@code responses} hears every response's route template and status (the SLOs' API error rate). */
  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, Settings settings, List<Route> routes,
      RouteMetrics.Listener responses) {
    return Http.get(system).newServerAt(settings.host(), settings.port())
        .withSettings(Json.keepCharsetLabel(org.apache.pekko.http.javadsl.settings.ServerSettings.create(system.settings().config()))).bind(edge(routes, responses, settings.compression())).whenComplete((binding, error) -> {
      if (error != null) {
        log.error("event=http_bind_failed host={} port={} error=\"{}\" fix=\"stop the process that has the port or set HTTP_HOST/HTTP_PORT\"",
            settings.host(), settings.port(), error.getMessage());
        CoordinatedShutdown.get(system).run(BindFailed.INSTANCE);
      } else {
        binding.addToCoordinatedShutdown(settings.hardDeadline(), system);
        log.info("event=http_bound address={}:{} codings={} brotliQuality={}", binding.localAddress().getHostString(), binding.localAddress().getPort(),
            HttpCompression.OFFERED.stream().map(ContentCoding::token).collect(Collectors.joining(",")), settings.compression().brotliQuality());
      }
    });
  }
}
