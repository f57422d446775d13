package io.sparkexec.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReadinessTest {

  @Test
  void readyOnlyWhenEveryGateHasPassed() {
    Readiness r = new Readiness("journal", "recovery", "http");
    assertFalse(r.isReady());
    r.pass("journal", "probe ok");
    r.pass("recovery", "0 open orders");
    assertFalse(r.isReady());
    r.pass("http", "bound");
    assertTrue(r.isReady());
  }

  @Test
  void aFailingGateTakesItOutOfReadyAndAPassBringsItBack() {
    Readiness r = new Readiness("journal");
    r.pass("journal", "ok");
    assertTrue(r.isReady());
    r.fail("journal", "write failed");
    assertFalse(r.isReady());
    assertEquals(new Readiness.Gate(Readiness.Status.FAILED, "write failed"), r.gates().get("journal"));
    r.pass("journal", "recovered");
    assertTrue(r.isReady());
  }

  @Test
  void gatesAreReportedInDeclarationOrderAsACopy() {
    Readiness r = new Readiness("b", "a");
    r.pass("a", "done");
    Map<String, Readiness.Gate> gates = r.gates();
    assertEquals(List.of("b", "a"), List.copyOf(gates.keySet()));
    assertEquals(new Readiness.Gate(Readiness.Status.PENDING, null), gates.get("b"));
    gates.clear();
    assertEquals(2, r.gates().size());
  }

  @Test
  void unknownGateIsABug() {
    Readiness r = new Readiness("journal");
    assertThrows(IllegalArgumentException.class, () -> r.pass("jurnal", "typo"));
    assertFalse(r.isReady());
  }

  @Test
  void warmUpTrafficMayPassOnceEveryOtherGateHasPassedAndOnlyUntilOneFails() {
    Readiness r = new Readiness("journal", "warm-up");
    r.warmUpGate("warm-up");
    assertFalse(r.isReadyForWarmUp());
    assertFalse(r.warmUpAllowed().toCompletableFuture().isDone());
    r.pass("journal", "ok");
    assertTrue(r.isReadyForWarmUp());
    assertFalse(r.isReady(), "real orders wait for the warm-up");
    assertTrue(r.warmUpAllowed().toCompletableFuture().isDone());
    r.pending("warm-up", "warming up: 10 of 100");
    assertEquals(new Readiness.Gate(Readiness.Status.PENDING, "warming up: 10 of 100"), r.gates().get("warm-up"));
    r.fail("journal", "write failed");
    assertFalse(r.isReadyForWarmUp());
    r.pass("journal", "ok");
    r.pass("warm-up", "done");
    assertTrue(r.isReady());
    assertTrue(r.isReadyForWarmUp());
  }
}
