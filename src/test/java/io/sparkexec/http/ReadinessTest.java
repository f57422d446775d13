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
}
