package io.sparkexec.chaos;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ChaosInjectionTest {

  @ParameterizedTest
  @ValueSource(strings = {"/api/private/chaos", "/api/private/chaos/off", "/api/private/chaos/toggle", "/api/private/kill-switch",
      "/api/private/slo", "/api/public/health", "/api/public/ready", "/api/public/metrics/prom", "/ws/feed"})
  void neverInjectable(String path) {
    assertFalse(ChaosInjection.injectable(path), path);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/api/private/order", "/api/private/order/abc", "/api/private/open-orders", "/api/private/positions",
      "/api/private/risk/limits", "/api/private/queue/claim", "/api/private/ws-token"})
  void injectable(String path) {
    assertTrue(ChaosInjection.injectable(path), path);
  }
}
