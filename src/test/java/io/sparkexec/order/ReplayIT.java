package io.sparkexec.order;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replay: a scenario leaves orders in every reachable state on ActorSystem #1; #2 on the same
 * journal and snapshot dirs must show every order and the open-orders list exactly as #1 did,
 * also after the resting ones have been re-driven to the (restarted, empty) simulated venue.
 */
@ExtendWith(LogCapturingExtension.class)
class ReplayIT {

  @TempDir
  Path dataDir;

  /** No price ticks: the book stays at its initial prices, so fills are deterministic. */
  private static final Config FROZEN_MARKET = ConfigFactory.parseMap(Map.of("spark.venue.sim.tick-ms", 3_600_000));

  private static final String OPEN_ORDERS = "/api/private/open-orders";

  @Test
  void secondSystemOnTheSameJournalShowsEveryOrderUnchanged() {
    Map<String, JsonNode> before = new LinkedHashMap<>();
    JsonNode openBefore;
    long eventsBefore;
    Config first = TestServer.config(dataDir, frozen());

    try (TestServer one = TestServer.inProcess(first)) {
      // BTCUSDT starts at bid 65000.00 / ask 65000.01 with 2.5 BTC at the touch
      expect(one, "FILLED", json("clientOrderId", "r-mkt-buy", "symbol", "BTCUSDT", "side", "BUY", "type", "MARKET", "quantity", "0.001",
          "strategy", "replay"));
      expect(one, "FILLED", json("clientOrderId", "r-mkt-sell", "symbol", "ETHUSDT", "side", "SELL", "type", "MARKET", "quantity", "0.01"));
      expect(one, "ACKNOWLEDGED", limit("r-rest-btc", "BTCUSDT", "BUY", "0.02", "1000.00", "GTC"));
      expect(one, "ACKNOWLEDGED", limit("r-rest-eth", "ETHUSDT", "SELL", "0.1", "9999.00", "GTC"));
      // crosses the ask with more than the touch size: 2.5 filled, 0.5 rests
      JsonNode partial = expect(one, "PARTIALLY_FILLED", limit("r-partial", "BTCUSDT", "BUY", "3", "65000.01", "GTC"));
      assertEquals(0, new BigDecimal(partial.path("executedQty").asText()).compareTo(new BigDecimal("2.5")), partial::toString);
      expect(one, "ACKNOWLEDGED", limit("r-cancel", "BTCUSDT", "BUY", "0.02", "1000.00", "GTC"));
      Response canceled = one.delete("/api/private/order/r-cancel");
      assertEquals("CANCELED", canceled.json().path("status").asText(), canceled::toString);
      expect(one, "EXPIRED", limit("r-ioc", "BTCUSDT", "BUY", "0.001", "60000.00", "IOC"));
      expect(one, "EXPIRED", limit("r-fok", "BTCUSDT", "BUY", "3", "65000.01", "FOK"));
      // REJECTED is not reachable over HTTP: the pre-trade guard applies the venue's own rules first

      for (String id : List.of("r-mkt-buy", "r-mkt-sell", "r-rest-btc", "r-rest-eth", "r-partial", "r-cancel", "r-ioc", "r-fok")) {
        Response r = one.getOrder(id);
        assertEquals(200, r.status(), r::toString);
        before.put(id, r.json());
      }
      openBefore = one.get(OPEN_ORDERS).json();
      assertEquals(3, openBefore.path("count").asInt(), openBefore::toString);
      eventsBefore = one.orderEventCount();
    }

    // #2: the simulated venue restarts empty and the market has moved up, so the re-driven resting
    // orders (the partial's 0.5 BTC remainder at 65000.01 included) rest again instead of filling
    try (TestServer two = TestServer.inProcess(TestServer.config(dataDir, frozen().withFallback(btcInitialPrice(first, "71500.00"))))) {
      await("state unchanged while resting orders are re-driven").during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> {
            for (Map.Entry<String, JsonNode> e : before.entrySet()) {
              Response r = two.getOrder(e.getKey());
              assertEquals(200, r.status(), r::toString);
              assertEquals(e.getValue(), r.json(), e.getKey());
            }
            assertEquals(openBefore, two.get(OPEN_ORDERS).json());
          });
      assertEquals(eventsBefore, two.orderEventCount(), "recovery and re-drive journaled nothing");

      // the venue knows the re-driven orders again: canceling them completes (200, not 202)
      Response rest = two.delete("/api/private/order/r-rest-btc");
      assertEquals(200, rest.status(), rest::toString);
      assertEquals("CANCELED", rest.json().path("status").asText());
      Response partial = two.delete("/api/private/order/r-partial");
      assertEquals(200, partial.status(), partial::toString);
      assertEquals("CANCELED", partial.json().path("status").asText());
      assertEquals(before.get("r-partial").path("executedQty"), partial.json().path("executedQty"));
      assertEquals(before.get("r-partial").path("fills"), partial.json().path("fills"));
      assertEquals(before.get("r-partial").path("timestamps").path("accepted"), partial.json().path("timestamps").path("accepted"));

      for (String id : before.keySet()) before.put(id, two.getOrder(id).json());
      JsonNode open = two.get(OPEN_ORDERS).json();
      assertEquals(1, open.path("count").asInt(), open::toString);
      assertEquals("r-rest-eth", open.path("orders").get(0).path("clientOrderId").asText());
      eventsBefore = two.orderEventCount();
    }

    // #3: what #2 changed (two cancels) replays too
    try (TestServer three = TestServer.inProcess(TestServer.config(dataDir, frozen().withFallback(btcInitialPrice(first, "71500.00"))))) {
      for (Map.Entry<String, JsonNode> e : before.entrySet()) assertEquals(e.getValue(), three.getOrder(e.getKey()).json(), e.getKey());
      JsonNode open = three.get(OPEN_ORDERS).json();
      assertEquals(List.of("r-rest-eth"), ids(open));
      assertEquals(eventsBefore, three.orderEventCount());
    }
  }

  /** Where the journal is: the default LevelDB here; ReplayPostgresIT runs the same on JOURNAL=postgres. */
  Config journal() {
    return ConfigFactory.empty();
  }

  private Config frozen() {
    return FROZEN_MARKET.withFallback(journal());
  }

  private static JsonNode expect(TestServer server, String status, String body) {
    Response r = server.placeOrder(body);
    assertEquals(200, r.status(), r::toString);
    assertEquals(status, r.json().path("status").asText(), r::toString);
    return r.json();
  }

  private static String limit(String id, String symbol, String side, String quantity, String price, String timeInForce) {
    return json("clientOrderId", id, "symbol", symbol, "side", side, "type", "LIMIT", "quantity", quantity, "price", price,
        "timeInForce", timeInForce, "strategy", "replay");
  }

  private static List<String> ids(JsonNode listing) {
    List<String> ids = new ArrayList<>();
    for (JsonNode o : listing.path("orders")) ids.add(o.path("clientOrderId").asText());
    assertTrue(ids.size() == listing.path("count").asInt());
    return ids;
  }

  /** spark.venue.symbols as loaded, with BTCUSDT starting at another price. */
  private static Config btcInitialPrice(Config loaded, String price) {
    List<Map<String, Object>> symbols = new ArrayList<>();
    for (Config s : loaded.getConfigList("spark.venue.symbols")) {
      Map<String, Object> m = new HashMap<>(s.root().unwrapped());
      if ("BTCUSDT".equals(m.get("symbol"))) m.put("initial-price", price);
      symbols.add(m);
    }
    return ConfigFactory.parseMap(Map.of("spark.venue.symbols", symbols));
  }
}
