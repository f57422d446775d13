package io.sparkexec.risk;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node-wide bounds over real HTTP with the unscoped trader key, which may name any strategy:
 * inventing names does not get past the node's open-order cap, order rate or strategy count.
 * A refused order is 4xx with its code, leaves nothing in the journal and takes nothing.
 */
class NodeBoundsIT {

  static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dataDir;

  /** A GTC BUY far under the market: it rests. */
  static String resting(String id, String strategy) {
    return json("clientOrderId", id, "symbol", "BTCUSDT", "side", "BUY", "type", "LIMIT", "timeInForce", "GTC", "quantity", "0.01",
        "price", "1000.00", "strategy", strategy);
  }

  static String market(String id, String strategy) {
    return json("clientOrderId", id, "symbol", "BTCUSDT", "side", "BUY", "type", "MARKET", "quantity", "0.001", "strategy", strategy);
  }

  static String code(Response r) {
    return r.status() < 300 ? "journaled" : r.json().path("error").path("code").asText("HTTP " + r.status());
  }

  static Config node(String key, int value) {
    return ConfigFactory.parseMap(Map.of("spark.risk.node." + key, value));
  }

  /** Places every body at once from {@code n} threads; the answers in the bodies' order. */
  static List<Response> concurrently(TestServer server, List<String> bodies) throws Exception {
    ExecutorService callers = Executors.newFixedThreadPool(bodies.size());
    try {
      List<Future<Response>> calls = new ArrayList<>();
      for (String body : bodies) calls.add(callers.submit(() -> server.placeOrder(body)));
      List<Response> answers = new ArrayList<>();
      for (Future<Response> call : calls) answers.add(call.get());
      return answers;
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void inventedStrategiesMeetTheNodeOpenOrderCapWith429NothingJournaledAndNothingKept() throws Exception {
    int cap = 4;
    try (TestServer server = TestServer.inProcess(dataDir, node("max-open-orders", cap))) {
      List<String> bodies = new ArrayList<>();
      for (int i = 0; i < 12; i++) bodies.add(resting("cap-" + i, "invented-" + i));
      List<Response> answers = concurrently(server, bodies);

      List<String> refused = new ArrayList<>();
      for (int i = 0; i < answers.size(); i++) {
        Response r = answers.get(i);
        if (r.status() < 300) continue;
        assertEquals("NODE_OPEN_ORDER_CAP", code(r), r::toString);
        assertEquals(429, r.status());
        assertTrue(r.header("Retry-After").isPresent(), r::toString);
        refused.add("cap-" + i);
      }
      assertEquals(answers.size() - cap, refused.size(), () -> "exactly the cap is admitted: " + answers);
      for (String id : refused) assertEquals(404, server.getOrder(id).status(), id + " was refused: not journaled");
      assertEquals(cap, server.get("/api/private/open-orders").json().path("count").asInt());

      // the refusals kept nothing: one cancel frees exactly one slot
      String open = server.get("/api/private/open-orders").json().path("orders").get(0).path("clientOrderId").asText();
      Response cancel = server.delete("/api/private/order/" + open);
      assertTrue(cancel.status() < 300, cancel::toString);
      AtomicInteger n = new AtomicInteger();
      await("the canceled order's slot is free").atMost(WAIT).until(() -> code(server.placeOrder(resting("after-" + n.incrementAndGet(),
          "invented-after-" + n.get()))).equals("journaled"));
      Response over = server.placeOrder(resting("over", "invented-over"));
      assertEquals("NODE_OPEN_ORDER_CAP", code(over), over::toString);
    }
  }

  @Test
  void inventedStrategiesMeetTheNodeOrderRateWith429AndNothingJournaled() throws Exception {
    try (TestServer server = TestServer.inProcess(dataDir, node("max-orders-per-second", 3))) {
      List<String> bodies = new ArrayList<>();
      for (int i = 0; i < 12; i++) bodies.add(market("rate-" + i, "rate-" + i));
      List<Response> answers = concurrently(server, bodies);
      int limited = 0;
      for (int i = 0; i < answers.size(); i++) {
        Response r = answers.get(i);
        if (r.status() < 300) continue;
        assertEquals("NODE_RATE_LIMIT", code(r), r::toString);
        assertEquals(429, r.status());
        assertTrue(r.header("Retry-After").isPresent(), r::toString);
        assertEquals(404, server.getOrder("rate-" + i).status(), "refused: not journaled");
        limited++;
      }
      assertTrue(limited > 0, "12 orders of 12 strategies within a few seconds, 3 per second admitted: " + answers);
    }
  }

  @Test
  void aNewStrategyPastMaxStrategiesIs422AndTheKnownOnesSurviveARestart() {
    Config two = node("max-strategies", 2);
    try (TestServer server = TestServer.inProcess(dataDir, two)) {
      assertEquals("journaled", code(server.placeOrder(market("st-a", "known-a"))));
      assertEquals("journaled", code(server.placeOrder(market("st-b", "known-b"))));
      Response third = server.placeOrder(market("st-c", "new-c"));
      assertEquals(422, third.status(), third::toString);
      assertEquals("TOO_MANY_STRATEGIES", code(third));
      assertEquals("strategy", third.json().path("error").path("field").asText());
      assertEquals(404, server.getOrder("st-c").status());
      assertEquals("journaled", code(server.placeOrder(market("st-a2", "known-a"))), "a known strategy still trades");
      // the ledger has folded both (their fills show as positions) before the node goes down
      await().atMost(WAIT).until(() -> {
        var positions = server.get("/api/private/positions").text();
        return positions.contains("known-a") && positions.contains("known-b");
      });
    }
    try (TestServer server = TestServer.inProcess(dataDir, two)) {
      assertEquals("TOO_MANY_STRATEGIES", code(server.placeOrder(market("st-c2", "new-c"))), "the known names came back from the journal");
      assertEquals("journaled", code(server.placeOrder(market("st-b2", "known-b"))));
    }
  }
}
