package io.sparkexec.chaos;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chaos on the venue link, seen from the whole executor: every venue call failing opens the
 * circuit breaker (chaos sits below it, as real faults do), the orders taken meanwhile wait in
 * doubt instead of being lost or doubled, and once chaos is off the breaker closes and every
 * one of them reaches its final state.
 */
@ExtendWith(LogCapturingExtension.class)
class ChaosBreakerIT {

  private static final int ORDERS = 8;

  @Test
  void venueFaultsOpenTheBreakerAndEveryOrderEndsCorrectlyOnceChaosIsOff(@TempDir Path dir) {
    try (TestServer server = TestServer.inProcess(dir)) {
      // The counters are the JVM's: this test owns only what it adds to them.
      double openedBefore = transitions(server, "open");
      double closedBefore = transitions(server, "closed");
      Response on = ChaosIT.admin(server, "POST", ChaosIT.CHAOS, json("venueErrorPct", 100, "reason", "IT: venue down"));
      assertEquals(200, on.status(), on::toString);

      List<String> ids = new ArrayList<>();
      for (int i = 0; i < ORDERS; i++) {
        String id = "breaker-" + i;
        Response placed = server.placeOrder(json("clientOrderId", id, "symbol", "BTCUSDT", "side", "BUY", "type", "MARKET",
            "quantity", "0.001", "strategy", "chaos-it", "respType", "ACCEPTED"));
        assertTrue(placed.status() == 200 || placed.status() == 202, placed::toString);
        assertEquals("ACCEPTED", placed.json().path("status").asText(), "journaled, waiting for the venue");
        ids.add(id);
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> transitions(server, "open") > openedBefore);
      for (String id : ids) {
        String status = server.getOrder(id).json().path("status").asText();
        assertTrue(status.equals("IN_DOUBT") || status.equals("ACCEPTED"), () -> id + " must wait for the venue, not end: " + status);
      }

      assertEquals(200, ChaosIT.admin(server, "POST", ChaosIT.CHAOS + "/off", "").status());
      for (String id : ids) {
        await().atMost(Duration.ofSeconds(90)).until(() -> server.getOrder(id).json().path("status").asText().equals("FILLED"));
      }
      // The breaker's listeners run on the dispatcher and the page follows at the next tick: wait for the count.
      await("the breaker closed again").atMost(Duration.ofSeconds(30)).until(() -> transitions(server, "closed") > closedBefore);
    }
  }

  private static double transitions(TestServer server, String to) {
    return TestServer.metricValue(server.metrics(), "spark_venue_breaker_transitions_total", "to=\"" + to + "\"");
  }
}
