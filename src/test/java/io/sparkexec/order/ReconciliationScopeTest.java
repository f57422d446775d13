package io.sparkexec.order;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The venue's foreign orders belong to no known strategy: only unscoped keys see them (issue 14, F3); conflicts follow their order's strategy. */
class ReconciliationScopeTest {

  private static Reconciler.Report report() {
    return new Reconciler.Report("passed", Instant.EPOCH, Instant.EPOCH, 1, 3, 0, Map.of("filled", 1L),
        List.of(new Reconciler.ExternalOrder("c-1", "SIM-1", "BTCUSDT", "NEW", null)), 2,
        List.of(conflict("a-1", "alpha"), conflict("b-1", "beta")), null);
  }

  private static Reconciler.VenueConflict conflict(String id, String strategy) {
    return new Reconciler.VenueConflict(id, strategy, "BTCUSDT", "side", "BUY", "SELL", "SIM-9", "CANCELED", Instant.EPOCH);
  }

  @Test
  void aBoundKeySeesTheCountsButNoForeignOrder() {
    Reconciler.Report seen = ReconciliationRoutes.visible(report(), Scope.of(Set.of("alpha")));
    assertEquals(List.of(), seen.externalOrders());
    assertEquals(3, seen.checked());
    assertEquals(Map.of("filled", 1L), seen.corrections());
  }

  @Test
  void aBoundKeySeesOnlyItsOwnStrategiesConflicts() {
    Reconciler.Report seen = ReconciliationRoutes.visible(report(), Scope.of(Set.of("alpha")));
    assertEquals(List.of("a-1"), seen.conflicts().stream().map(Reconciler.VenueConflict::clientOrderId).toList());
    assertEquals(1, seen.conflictsTotal());
  }

  @Test
  void anUnboundKeySeesThemAll() {
    Reconciler.Report all = report();
    assertSame(all, ReconciliationRoutes.visible(all, Scope.ALL));
  }
}
