package io.sparkexec.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;

import io.sparkexec.metrics.Metrics;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/** Public endpoints: liveness, readiness with each gate's status, Prometheus metrics. */
public final class SystemRoutes {

  private static final ContentType PROMETHEUS_TEXT = ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");
  private static final byte[] HEALTHY = Json.bytes(Map.of("status", "UP"));

  private final Readiness readiness;

  public SystemRoutes(Readiness readiness) {
    this.readiness = readiness;
  }

  private record ReadyBody(boolean ready, Map<String, Readiness.Gate> gates) {}

  public Route route() {
    return pathPrefix("api", () -> pathPrefix("public", () -> concat(
        path("health", () -> RouteMetrics.template("/api/public/health", () -> get(() ->
            complete(HttpResponse.create().withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, HEALTHY)))))),
        path("ready", () -> RouteMetrics.template("/api/public/ready", () -> get(this::ready))),
        pathPrefix("metrics", () -> path("prom", () -> RouteMetrics.template("/api/public/metrics/prom", () -> get(() ->
            complete(HttpResponse.create().withEntity(HttpEntities.create(PROMETHEUS_TEXT, Metrics.scrape().getBytes(StandardCharsets.UTF_8)))))))))));
  }

  private Route ready() {
    boolean ok = readiness.isReady();
    return complete(Json.response(ok ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, new ReadyBody(ok, readiness.gates())));
  }
}
