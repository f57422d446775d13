package io.sparkexec.slo;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;

import io.sparkexec.http.Auth;
import io.sparkexec.http.Json;
import io.sparkexec.http.RouteMetrics;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code GET /api/private/slo}: every SLO's objective, compliance, budget, burn rates and alerts (any key). */
public final class SloRoutes {

  private final SloService slo;
  private final Auth auth;

  public SloRoutes(SloService slo, Auth auth) {
    this.slo = slo;
    this.auth = auth;
  }

  public Route route() {
    return pathPrefix("api", () -> pathPrefix("private", () -> path("slo", () -> RouteMetrics.template("/api/private/slo", () ->
        auth.require(Auth.Role.TRADER, p -> get(() -> complete(Json.ok(slo.report()))))))));
  }
}
