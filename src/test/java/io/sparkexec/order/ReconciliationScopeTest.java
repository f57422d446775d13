package io.sparkexec.order;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The venue's foreign orders belong to no known strategy: only unscoped keys see them (issue 14, F3). */
class ReconciliationScopeTest {

  private static Reconciler.Report report() {
    return new Reconciler.Report("passed", Instant.EPOCH, Instant.EPOCH, 1, 3, 0, Map.of("filled", 1L),
        List.of(new Reconciler.ExternalOrder("c-1", "SIM-1", "BTCUSDT", "NEW", null)), null);
  }

  @Test
  void aBoundKeySeesTheCountsButNoForeignOrder() {
    Reconciler.Report seen = ReconciliationRoutes.visible(report(), Scope.of(Set.of("alpha")));
    assertEquals(List.of(), seen.externalOrders());
    assertEquals(3, seen.checked());
    assertEquals(Map.of("filled", 1L), seen.corrections());
  }

  @Test
  void anUnboundKeySeesThemAll() {
    Reconciler.Report all = report();
    assertSame(all, ReconciliationRoutes.visible(all, Scope.ALL));
  }
}
