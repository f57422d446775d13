package io.sparkexec.slo;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import io.sparkexec.http.ApiErrors;
import io.sparkexec.http.Auth;
import io.sparkexec.http.Json;
import io.sparkexec.http.RouteMetrics;
import io.sparkexec.order.OrderRoutes;
import io.sparkexec.order.Rejection;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code POST /api/private/canary/run?dry=true} (admin) and the old system's path
 * {@code POST /canary/run?dry=true}, same handler, same auth. 200 with the run when every order
 * reached a final state, 502 CANARY_FAILED with the run when one did not.
 */
public final class CanaryRoutes {

  private final Canary canary;
  private final Auth auth;

  public CanaryRoutes(Canary canary, Auth auth) {
    this.canary = canary;
    this.auth = auth;
  }

  public Route route() {
    return concat(
        pathPrefix("api", () -> pathPrefix("private", () -> pathPrefix("canary", () -> path("run", () ->
            RouteMetrics.template("/api/private/canary/run", this::run))))),
        pathPrefix("canary", () -> path("run", () -> RouteMetrics.template("/canary/run", this::run))));
  }

  private Route run() {
    return post(() -> auth.require(Auth.Role.ADMIN, p -> parameterOptional("dry", dry -> {
      Boolean isDry = dry(dry);
      if (isDry == null) {
        return complete(OrderRoutes.refused(Rejection.invalid("dry", "INVALID_VALUE", "dry must be true or false")));
      }
      return completeWithFuture(canary.run(isDry).thenApply(CanaryRoutes::answer));
    })));
  }

  /** Absent means dry: a canary never reaches a real venue unless asked, and even then only a simulator. */
  private static Boolean dry(Optional<String> value) {
    if (value.isEmpty() || value.get().equals("true")) return true;
    return value.get().equals("false") ? false : null;
  }

  private static HttpResponse answer(Canary.Outcome outcome) {
    if (outcome instanceof Canary.Refused refused) return OrderRoutes.refused(refused.rejection());
    Canary.Run run = (Canary.Run) outcome;
    if (run.ok()) return Json.ok(run);
    return ApiErrors.response(502, "CANARY_FAILED", "a canary order did not reach a final state: "
        + run.orders().stream().filter(o -> !o.ok()).findFirst().map(Canary.OrderRun::error).orElse("?"), null, Map.of("run", run));
  }
}
