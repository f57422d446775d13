package io.sparkexec.slo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.order.Scope;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A strategy-bound key's SLO report carries no other strategy's series or alerts (issue 14, F3). */
class SloRoutesScopeTest {

  private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");

  private static SloService.SloReport series(String strategy, boolean within, List<SloService.SloReport> strategies) {
    return new SloService.SloReport("place-ack-latency", strategy, 0.99, 10L, NOW, 90, 100, 0.9, -1.0, Map.of(), Map.of(), within, strategies);
  }

  private static SloService.Report report() {
    List<SloService.SloReport> perStrategy = List.of(series("alpha", true, List.of()), series("beta", false, List.of()));
    List<SloService.AlertChange> alerts = List.of(
        new SloService.AlertChange("place-ack-latency", "beta", "page", true, 20, 20, NOW),
        new SloService.AlertChange("api-errors", null, "ticket", true, 5, 5, NOW));
    return new SloService.Report(NOW, false, "30d", List.of(series(null, true, perStrategy)), alerts);
  }

  @Test
  void aBoundKeySeesOnlyItsStrategiesAndTheNodeSeries() {
    SloService.Report seen = SloRoutes.visible(report(), Scope.of(Set.of("alpha")));
    List<SloService.SloReport> strategies = seen.slos().get(0).strategies();
    assertEquals(List.of("alpha"), strategies.stream().map(SloService.SloReport::strategy).toList());
    assertEquals(1, seen.recentAlerts().size(), "beta's alert is hidden, the node-wide one stays");
    assertEquals(null, seen.recentAlerts().get(0).strategy());
    assertTrue(seen.withinSlo(), "beta's breach does not show through the summary");
  }

  @Test
  void anUnboundKeySeesEverything() {
    SloService.Report all = report();
    assertSame(all, SloRoutes.visible(all, Scope.ALL));
    assertFalse(SloRoutes.visible(all, Scope.of(Set.of("beta"))).withinSlo());
  }
}
