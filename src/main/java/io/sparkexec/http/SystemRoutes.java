package io.sparkexec.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;

import io.sparkexec.metrics.Metrics;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Public endpoints: liveness, readiness with each gate's status, Prometheus metrics. The metrics
 * page leaves out per-strategy series unless the scrape presents a key (Bearer or X-API-Key)
 * whose scope covers them: an unauthenticated client learns no strategy's name.
 */
public final class SystemRoutes {

  private static final ContentType PROMETHEUS_TEXT = ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");
  private static final String BEARER = "Bearer ";
  private static final byte[] HEALTHY = Json.bytes(Map.of("status", "UP"));

  private final Readiness readiness;
  private final Auth auth;

  public SystemRoutes(Readiness readiness, Auth auth) {
    this.readiness = readiness;
    this.auth = auth;
  }

  private record ReadyBody(boolean ready, Map<String, Readiness.Gate> gates) {}

  public Route route() {
    return pathPrefix("api", () -> pathPrefix("public", () -> concat(
        path("health", () -> RouteMetrics.template("/api/public/health", () -> get(() ->
            complete(HttpResponse.create().withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, HEALTHY)))))),
        path("ready", () -> RouteMetrics.template("/api/public/ready", () -> get(this::ready))),
        pathPrefix("metrics", () -> path("prom", () -> RouteMetrics.template("/api/public/metrics/prom", () -> get(() ->
            extractRequest(this::metrics))))))));
  }

  private Route metrics(HttpRequest request) {
    Optional<String> key = request.getHeader(Auth.HEADER).map(HttpHeader::value)
        .or(() -> request.getHeader("Authorization").map(HttpHeader::value).filter(v -> v.startsWith(BEARER)).map(v -> v.substring(BEARER.length()).strip()));
    Optional<Auth.Principal> who = key.flatMap(auth::authenticate);
    if (key.isPresent() && who.isEmpty()) {
      return complete(ApiErrors.response(401, "UNAUTHORIZED", "unknown API key (the page without strategy series needs none)", null, null));
    }
    Predicate<String> sees = who.<Predicate<String>>map(p -> p::sees).orElse(s -> false);
    return complete(HttpResponse.create().withEntity(HttpEntities.create(PROMETHEUS_TEXT, Metrics.scrapeFor(sees).getBytes(StandardCharsets.UTF_8))));
  }

  private Route ready() {
    boolean ok = readiness.isReady();
    return complete(Json.response(ok ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, new ReadyBody(ok, readiness.gates())));
  }
}
