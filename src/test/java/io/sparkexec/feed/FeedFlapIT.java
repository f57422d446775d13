package io.sparkexec.feed;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.testing.TestServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chaos switchboard's WebSocket flap: with wsFlapSec set, the server drops every feed
 * connection on that period with the resume close code, and a client that reconnects with
 * {@code from=<last seq>} after each drop still sees every order event exactly once.
 */
@ExtendWith(LogCapturingExtension.class)
class FeedFlapIT {

  private static final int ORDERS = 12;

  @Test
  void aClientResumingAfterEachFlapSeesEveryOrderEventOnce(@TempDir Path dir) throws Exception {
    try (TestServer server = TestServer.inProcess(dir)) {
      // The counters are the JVM's: this test owns only what it adds to them.
      String before = server.metrics();
      double flapsBefore = TestServer.metricValue(before, "spark_chaos_ws_flaps_total", "");
      double dropsBefore = TestServer.metricValue(before, "spark_ws_disconnects_total", "reason=\"chaos_flap\"");
      TestServer.Response on = server.send(server.request("/api/private/chaos").setHeader("X-API-Key", "admin-dev-key")
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(json("wsFlapSec", 1, "reason", "IT: flap"))).build());
      assertEquals(200, on.status(), on::toString);

      List<JsonNode> events = new ArrayList<>();
      List<Integer> closeCodes = new ArrayList<>();
      AtomicInteger placed = new AtomicInteger();
      long last = 0;
      // place an order between reconnects until all are placed and at least two flaps cut the client off
      while (placed.get() < ORDERS || closeCodes.size() < 2) {
        try (JdkWsClient c = JdkWsClient.connect(URI.create("ws://127.0.0.1:" + server.port() + "/ws/feed?channels=orders&from=" + last),
            TestServer.TRADER_KEY)) {
          if (placed.get() < ORDERS) {
            int n = placed.incrementAndGet();
            TestServer.Response r = server.placeOrder(json("clientOrderId", "flap-" + n, "symbol", "BTCUSDT", "side", "BUY",
                "type", "MARKET", "quantity", "0.001", "strategy", "flap-it"));
            assertEquals(200, r.status(), r::toString);
          }
          int code = c.closed.get(60, java.util.concurrent.TimeUnit.SECONDS);
          closeCodes.add(code);
          for (JsonNode m; (m = c.messages.poll()) != null; ) if (m.path("channel").asText().equals("orders")) events.add(m);
          if (!events.isEmpty()) last = events.get(events.size() - 1).path("seq").asLong();
        }
      }
      // what was journaled after the last connection's drop arrives on one more resume
      long journaled = server.orderEventCount();
      if (last < journaled) {
        try (JdkWsClient c = JdkWsClient.connect(URI.create("ws://127.0.0.1:" + server.port() + "/ws/feed?channels=orders&from=" + last),
            TestServer.TRADER_KEY)) {
          await().atMost(Duration.ofSeconds(60)).until(() -> {
            for (JsonNode m; (m = c.messages.poll()) != null; ) if (m.path("channel").asText().equals("orders")) events.add(m);
            return !events.isEmpty() && events.get(events.size() - 1).path("seq").asLong() >= journaled;
          });
        }
      }

      for (int i = 0; i < events.size(); i++) {
        final int at = i;
        assertEquals(i + 1, events.get(i).path("seq").asLong(), () -> "gap or duplicate at " + at + ": " + events.get(at));
      }
      Set<String> ids = new TreeSet<>();
      for (JsonNode e : events) ids.add(e.path("event").path("clientOrderId").asText());
      for (int n = 1; n <= ORDERS; n++) assertTrue(ids.contains("flap-" + n), "events of flap-" + n + " arrived");
      assertTrue(closeCodes.stream().allMatch(code -> code == CloseReason.CHAOS_FLAP.code), () -> "every drop says resume: " + closeCodes);
      // the page follows the counters at the next tick
      await("flaps and disconnects counted").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        String page = server.metrics();
        assertTrue(TestServer.metricValue(page, "spark_chaos_ws_flaps_total", "") - flapsBefore >= 2, "flaps counted");
        assertTrue(TestServer.metricValue(page, "spark_ws_disconnects_total", "reason=\"chaos_flap\"") - dropsBefore >= 2,
            "disconnects by reason");
      });
    }
  }
}
