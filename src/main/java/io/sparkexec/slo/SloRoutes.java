package io.sparkexec.slo;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;

import io.sparkexec.http.Auth;
import io.sparkexec.http.Json;
import io.sparkexec.http.RouteMetrics;
import io.sparkexec.order.OrderRoutes;
import io.sparkexec.order.Scope;
import java.util.List;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /api/private/slo}: every SLO's objective, compliance, budget, burn rates and alerts
 * (any key). A strategy-bound key sees the node-wide series and only its own strategies' series and alerts.
 */
public final class SloRoutes {

  private final SloService slo;
  private final Auth auth;

  public SloRoutes(SloService slo, Auth auth) {
    this.slo = slo;
    this.auth = auth;
  }

  public Route route() {
    return pathPrefix("api", () -> pathPrefix("private", () -> path("slo", () -> RouteMetrics.template("/api/private/slo", () ->
        get(() -> auth.require(Auth.Role.TRADER, p -> complete(Json.ok(visible(slo.report(), OrderRoutes.scope(p))))))))));
  }

  static SloService.Report visible(SloService.Report report, Scope scope) {
    if (scope.strategies() == null) return report;
    List<SloService.SloReport> slos = report.slos().stream().map(global -> withStrategies(global,
        global.strategies().stream().filter(s -> scope.permits(s.strategy())).toList())).toList();
    boolean within = slos.stream().allMatch(g -> g.withinSlo() && g.strategies().stream().allMatch(SloService.SloReport::withinSlo));
    List<SloService.AlertChange> alerts = report.recentAlerts().stream().filter(a -> a.strategy() == null || scope.permits(a.strategy())).toList();
    return new SloService.Report(report.evaluatedAt(), within, report.compliancePeriod(), slos, alerts);
  }

  private static SloService.SloReport withStrategies(SloService.SloReport g, List<SloService.SloReport> strategies) {
    return new SloService.SloReport(g.slo(), g.strategy(), g.objective(), g.thresholdMs(), g.since(), g.good(), g.total(), g.compliance(),
        g.errorBudgetRemaining(), g.burnRates(), g.alerts(), g.withinSlo(), strategies);
  }
}
