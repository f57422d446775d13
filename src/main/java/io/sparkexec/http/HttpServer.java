package io.sparkexec.http;

import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.withRequestTimeoutResponse;

import com.typesafe.config.Config;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.TLSProtocol;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.TLSPlacebo;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds the rooms' routes on one port with the shared edge: JSON errors for everything,
 * request metrics, br/gzip/deflate responses and request bodies ({@link HttpCompression}),
 * graceful unbind on shutdown.
 *
 * <p>The port is bound with {@code Tcp} and each connection runs {@link HeadGuard} under
 * pekko-http's server layer (pekko-http's own bind offers no hook on the raw bytes). So this class
 * also owns the connection bounds: a node-wide cap and a per-client-address cap (a flood from one
 * address cannot take the operators' connections), answered 503 + Retry-After and closed.
 */
public final class HttpServer {

  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

  public record Settings(String host, int port, Duration hardDeadline, HttpCompression.Settings compression, Connections connections) {
    public Settings(String host, int port, Duration hardDeadline) {
      this(host, port, hardDeadline, HttpCompression.Settings.DEFAULTS, Connections.DEFAULTS);
    }

    public static Settings fromConfig(Config http) {
      return new Settings(http.getString("host"), http.getInt("port"), Duration.ofSeconds(11), HttpCompression.Settings.fromConfig(http),
          Connections.fromConfig(http));
    }
  }

  /** spark.http connection bounds (conf/spark.conf says the trade-offs). */
  public record Connections(int max, int maxPerClient, int maxHeadBytes, Duration headerTimeout) {
    static final Connections DEFAULTS = new Connections(8192, 1024, 16384, Duration.ofSeconds(10));

    public static Connections fromConfig(Config http) {
      return new Connections(http.getInt("max-connections"), http.getInt("max-connections-per-client"),
          (int) http.getBytes("max-head-bytes").longValue(), http.getDuration("header-timeout"));
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

  public static CompletionStage<InetSocketAddress> start(ActorSystem<?> system, Settings settings, List<Route> routes) {
    return start(system, settings, routes, RouteMetrics.Listener.NONE);
  }

  /**
   * Binds; the stage completes with the bound address. {@code responses} hears every response's
   * route template and status (the SLOs' API error rate).
   */
  public static CompletionStage<InetSocketAddress> start(ActorSystem<?> system, Settings settings, List<Route> routes,
      RouteMetrics.Listener responses) {
    // the charset label of application/json reaches Json.body, which refuses any but UTF-8
    ServerSettings server = Json.keepCharsetLabel(ServerSettings.create(system.settings().config()));
    Flow<HttpRequest, HttpResponse, NotUsed> handler = edge(routes, responses, settings.compression()).flow(system);
    Connections limits = settings.connections();
    HeadGuard.Settings guard = new HeadGuard.Settings(limits.maxHeadBytes(), limits.headerTimeout());
    AtomicInteger open = new AtomicInteger();
    AtomicInteger inFlight = new AtomicInteger();
    Map<InetAddress, AtomicInteger> perClient = new ConcurrentHashMap<>();
    SharedKillSwitch connections = KillSwitches.shared("http-connections");
    CompletionStage<Tcp.ServerBinding> bound = Tcp.get(system)
        .bind(settings.host(), settings.port(), 1024, List.of(), false, Optional.of(server.getTimeouts().idleTimeout().isFinite()
            ? Duration.ofNanos(server.getTimeouts().idleTimeout().toNanos()) : Duration.ofDays(3650)))
        .to(Sink.foreach(connection -> {
          InetAddress client = connection.remoteAddress().getAddress();
          AtomicInteger fromClient = perClient.computeIfAbsent(client, a -> new AtomicInteger());
          int total = open.incrementAndGet();
          int mine = fromClient.incrementAndGet();
          Runnable release = () -> {
            open.decrementAndGet();
            if (fromClient.decrementAndGet() == 0) perClient.remove(client, fromClient);
          };
          if (total > limits.max() || mine > limits.maxPerClient()) {
            log.warn("event=http_connection_refused client={} open={} fromClient={} max={} maxPerClient={}", client.getHostAddress(), total, mine,
                limits.max(), limits.maxPerClient());
            connection.handleWith(refusedConnection(total > limits.max()).watchTermination((m, done) -> done.thenRun(release)), system);
            return;
          }
          connection.handleWith(connectionFlow(system, server, handler, guard, connection.remoteAddress(), inFlight)
              .via(connections.flow()).watchTermination((m, done) -> done.thenRun(release)), system);
        }))
        .run(system);
    return bound.whenComplete((binding, error) -> {
      if (error != null) {
        log.error("event=http_bind_failed host={} port={} error=\"{}\" fix=\"stop the process that has the port or set HTTP_HOST/HTTP_PORT\"",
            settings.host(), settings.port(), error.getMessage());
        CoordinatedShutdown.get(system).run(BindFailed.INSTANCE);
      } else {
        shutdownGracefully(system, settings.hardDeadline(), binding, connections, inFlight);
        log.info("event=http_bound address={}:{} codings={} brotliQuality={} maxConnections={} maxConnectionsPerClient={}",
            binding.localAddress().getHostString(), binding.localAddress().getPort(),
            HttpCompression.OFFERED.stream().map(ContentCoding::token).collect(Collectors.joining(",")), settings.compression().brotliQuality(),
            limits.max(), limits.maxPerClient());
      }
    }).thenApply(Tcp.ServerBinding::localAddress);
  }

  /** One connection: raw bytes, {@link HeadGuard}, pekko-http's server layer, the routes. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Flow<ByteString, ByteString, NotUsed> connectionFlow(ActorSystem<?> system, ServerSettings server,
      Flow<HttpRequest, HttpResponse, NotUsed> handler, HeadGuard.Settings guard, InetSocketAddress remote, AtomicInteger inFlight) {
    // SessionBytes is an SslTlsInbound; Java's invariant generics need the raw step to say so
    BidiFlow placebo = TLSPlacebo.getInstance().reversed();
    BidiFlow<TLSProtocol.SslTlsInbound, HttpRequest, HttpResponse, TLSProtocol.SslTlsOutbound, NotUsed> http =
        Http.get(system).serverLayer(server, Optional.of(remote)).reversed();
    Flow<HttpRequest, HttpResponse, NotUsed> counted = Flow.of(HttpRequest.class).map(r -> {
      inFlight.incrementAndGet();
      return r;
    }).via(handler).map(r -> {
      inFlight.decrementAndGet();
      return r;
    });
    BidiFlow<ByteString, ByteString, ByteString, ByteString, NotUsed> guarded =
        BidiFlow.fromGraph(new HeadGuard(guard, remote.getAddress().getHostAddress()));
    return guarded.atop((BidiFlow<ByteString, TLSProtocol.SslTlsInbound, TLSProtocol.SslTlsOutbound, ByteString, NotUsed>) placebo)
        .atop(http).join(counted);
  }

  /** Past a cap the client hears why and when to come back, then the connection closes. */
  private static Flow<ByteString, ByteString, NotUsed> refusedConnection(boolean nodeFull) {
    ByteString answer = HeadGuard.render(ApiErrors.retryLater(503, "TOO_MANY_CONNECTIONS", nodeFull
        ? "the server holds its maximum of connections; retry shortly"
        : "this client address holds its maximum of connections; close idle ones or retry shortly", 1, null));
    return Flow.fromSinkAndSourceCoupled(Sink.ignore(), Source.single(answer));
  }

  /** Unbind first (new clients go elsewhere), then give requests in flight until the deadline, then close what is left. */
  private static void shutdownGracefully(ActorSystem<?> system, Duration deadline, Tcp.ServerBinding binding, SharedKillSwitch connections,
      AtomicInteger inFlight) {
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "http-unbind", () -> binding.unbind().thenApply(u -> Done.getInstance()));
    shutdown.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "http-requests-done", () -> {
      CompletableFuture<Done> done = new CompletableFuture<>();
      long until = System.nanoTime() + deadline.toNanos();
      pollInFlight(system, inFlight, until, done);
      return done.thenApply(d -> {
        connections.shutdown();
        return d;
      });
    });
  }

  private static void pollInFlight(ActorSystem<?> system, AtomicInteger inFlight, long untilNanos, CompletableFuture<Done> done) {
    if (inFlight.get() <= 0 || System.nanoTime() >= untilNanos) {
      done.complete(Done.getInstance());
    } else {
      system.scheduler().scheduleOnce(Duration.ofMillis(20), () -> pollInFlight(system, inFlight, untilNanos, done), system.executionContext());
    }
  }
}
