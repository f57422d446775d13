package io.sparkexec.order;

import static io.sparkexec.testing.TestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GET /open-orders answers pages: a limit (a default without one), a cursor, nextCursor null on
 * the last page. Every open order shows exactly once across the pages, also while orders are
 * placed meanwhile, and a scoped key's pages hold only its strategy's orders.
 */
class OpenOrdersPagingIT {

  static final String TRADER = TestServer.TRADER_KEY;
  static final String ALPHA = "alpha-key";
  static final int DEFAULT_LIMIT = 10;

  @TempDir
  static Path dataDir;

  static TestServer server;
  static final Set<String> placedBefore = new HashSet<>();
  static final Set<String> alphaBefore = new HashSet<>();

  @BeforeAll
  static void start() {
    server = TestServer.inProcess(dataDir, ConfigFactory.parseString("""
        spark.http.open-orders-limit = %d
        spark.http.open-orders-max-limit = 50
        spark.auth.keys = [
          { key = "%s", role = "trader", name = "dev-trader" }
          { key = "%s", role = "trader", name = "alpha-bot", strategies = ["alpha"] }
        ]
        """.formatted(DEFAULT_LIMIT, TRADER, ALPHA)));
    String[] strategies = {"alpha", "beta", "gamma"};
    for (int i = 0; i < 36; i++) {
      String strategy = strategies[i % 3];
      String id = "pg-" + i;
      Response r = place(TRADER, id, i % 4 == 0 ? "ETHUSDT" : "BTCUSDT", strategy);
      assertTrue(r.status() < 300, r::toString);
      placedBefore.add(id);
      if (strategy.equals("alpha")) alphaBefore.add(id);
    }
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  /** A BUY far under the market: it rests. */
  static Response place(String key, String id, String symbol, String strategy) {
    String price = symbol.equals("BTCUSDT") ? "1000.00" : "100.00";
    String qty = symbol.equals("BTCUSDT") ? "0.01" : "0.1";
    return server.send(server.request("/api/private/order").setHeader("X-API-Key", key).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json("clientOrderId", id, "symbol", symbol, "side", "BUY", "type", "LIMIT",
            "timeInForce", "GTC", "quantity", qty, "price", price, "strategy", strategy))).build());
  }

  static Response get(String key, String pathAndQuery) {
    return server.send(server.request(pathAndQuery).setHeader("X-API-Key", key).GET().build());
  }

  /** Every page from the first, with {@code limit} (null: the default); the ids in the order listed. */
  static List<String> allPages(String key, Integer limit) {
    List<String> ids = new ArrayList<>();
    String cursor = null;
    int expectedMax = limit == null ? DEFAULT_LIMIT : limit;
    for (int pages = 0; pages < 1000; pages++) {
      String query = "/api/private/open-orders?" + (limit == null ? "" : "limit=" + limit)
          + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
      Response r = get(key, query);
      assertEquals(200, r.status(), r::toString);
      JsonNode body = r.json();
      JsonNode orders = body.path("orders");
      assertTrue(orders.size() <= expectedMax, () -> "a page holds at most the limit: " + orders.size());
      assertEquals(orders.size(), body.path("count").asInt(), "count is the page's");
      for (JsonNode o : orders) ids.add(o.path("clientOrderId").asText());
      if (body.path("nextCursor").isNull()) return ids;
      assertEquals(expectedMax, orders.size(), "only the last page is short");
      cursor = body.path("nextCursor").asText();
    }
    throw new AssertionError("no last page");
  }

  static void assertOnce(List<String> ids, Set<String> expected) {
    assertEquals(ids.size(), new HashSet<>(ids).size(), () -> "no order twice: " + ids);
    assertTrue(ids.containsAll(expected), () -> "every open order listed: missing " + expected.stream().filter(id -> !ids.contains(id)).toList());
  }

  @Test
  void everyOpenOrderShowsExactlyOnceAcrossPagesWhileOrdersArePlaced() {
    CompletableFuture<Void> placing = CompletableFuture.runAsync(() -> {
      for (int i = 0; i < 24; i++) {
        Response r = place(TRADER, "pg-live-" + i, i % 2 == 0 ? "BTCUSDT" : "ETHUSDT", i % 3 == 0 ? "alpha" : "beta");
        assertTrue(r.status() < 300, r::toString);
      }
    });
    List<String> ids = allPages(TRADER, 7);
    placing.join();
    assertOnce(ids, placedBefore);
    // the page is a view of the listing: once placing stopped, the pages hold the same orders as one big page
    List<String> after = allPages(TRADER, 50);
    assertOnce(after, placedBefore);
    assertEquals(after, allPages(TRADER, 3), "pages of any size concatenate to the same listing");
  }

  @Test
  void aScopedKeysPagesHoldOnlyItsStrategysOrders() {
    List<String> ids = allPages(ALPHA, 4);
    assertOnce(ids, alphaBefore);
    for (String id : ids) {
      String strategy = get(TRADER, "/api/private/order/" + id).json().path("strategy").asText();
      assertEquals("alpha", strategy, id);
    }
    assertEquals(0, get(ALPHA, "/api/private/open-orders?strategy=beta&limit=5").json().path("count").asInt(), "beta is out of scope");
  }

  @Test
  void withoutALimitTheDefaultPageAnswers() {
    JsonNode body = get(TRADER, "/api/private/open-orders").json();
    assertEquals(DEFAULT_LIMIT, body.path("count").asInt(), body::toString);
    assertTrue(body.path("nextCursor").isTextual(), body::toString);
  }

  @Test
  void aBadLimitOrCursorIs400NamingTheParameter() {
    for (String query : List.of("limit=0", "limit=51", "limit=abc", "cursor=not-a-cursor", "cursor=" + java.util.Base64.getUrlEncoder()
        .encodeToString("2026-01-01T00:00:00Z|bad id".getBytes(StandardCharsets.UTF_8)))) {
      Response r = get(TRADER, "/api/private/open-orders?" + query);
      assertEquals(400, r.status(), query + ": " + r);
      assertEquals("INVALID_VALUE", r.json().path("error").path("code").asText(), query);
      assertEquals(query.substring(0, query.indexOf('=')), r.json().path("error").path("field").asText(), query);
    }
  }
}
