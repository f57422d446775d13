package io.sparkexec.venue.sim;

import static io.sparkexec.testing.TestVenueSim.limitOrder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.Json;
import io.sparkexec.testing.TestServer.Response;
import io.sparkexec.testing.TestVenueSim;
import io.sparkexec.venue.Signing;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parts of Binance spot a stock client needs beyond what HttpVenue uses (docs/venue-sim.md),
 * over real HTTP on loopback against the simulator in this JVM: form bodies, orderId lookups,
 * the account, market data, order and trade history.
 */
@ExtendWith(LogCapturingExtension.class)
class BinanceSpotIT {

  /** Far below BTCUSDT's 65000: rests until canceled. */
  private static final String FAR_BID = "1000.00";

  @TempDir
  static Path dataDir;

  static TestVenueSim sim;

  @BeforeAll
  static void start() {
    // one BTC: enough for the buys here, too little for the SELL that must be refused
    sim = TestVenueSim.inProcess(dataDir, Map.of("spark.venue-sim.balances.BTC", "1"));
  }

  @AfterAll
  static void stop() {
    if (sim != null) sim.close();
  }

  /** A request as ccxt and python-binance send a POST: query string, form body, the signature over both concatenated. */
  private static Response form(String method, String path, String query, String body, String signedOver) {
    String signature = new Signing(TestVenueSim.API_SECRET).sign(signedOver);
    boolean signatureInBody = !body.isEmpty();
    String q = signatureInBody ? query : query + "&signature=" + signature;
    String b = signatureInBody ? body + "&signature=" + signature : body;
    HttpRequest request = HttpRequest.newBuilder(URI.create(sim.url() + path + (q.isEmpty() ? "" : "?" + q)))
        .timeout(Duration.ofSeconds(30)).header("X-MBX-APIKEY", TestVenueSim.API_KEY)
        .header("Content-Type", "application/x-www-form-urlencoded").method(method, HttpRequest.BodyPublishers.ofString(b)).build();
    return sim.send(request);
  }

  private static String params(Map<String, String> order) {
    Map<String, String> all = new LinkedHashMap<>(order);
    all.put("timestamp", String.valueOf(System.currentTimeMillis()));
    return TestVenueSim.queryString(all);
  }

  @Test
  void signedParametersMayComeInTheFormBody() {
    String body = params(limitOrder("form-1", "BTCUSDT", "BUY", "0.01", FAR_BID));
    Response placed = form("POST", "/api/v3/order", "", body, body);
    assertEquals(200, placed.status(), placed::text);
    assertEquals("form-1", placed.json().get("clientOrderId").asText());
    assertEquals("NEW", placed.json().get("status").asText());
    assertEquals(1, sim.submissions("form-1"));
  }

  @Test
  void theSignatureCoversTheQueryStringThenTheBody() {
    String query = "symbol=BTCUSDT&side=BUY";
    String body = params(Map.of("type", "LIMIT", "timeInForce", "GTC", "quantity", "0.01", "price", FAR_BID, "newClientOrderId", "form-2"));
    Response placed = form("POST", "/api/v3/order", query, body, query + body);
    assertEquals(200, placed.status(), placed::text);
    assertEquals("BUY", placed.json().get("side").asText());
    assertEquals(1, sim.submissions("form-2"));
  }

  @Test
  void aBodyTheSignatureDoesNotCoverIsRefusedAndCreatesNothing() {
    String body = params(limitOrder("form-3", "BTCUSDT", "BUY", "0.01", FAR_BID));
    Response refused = form("POST", "/api/v3/order", "", body.replace("0.01", "0.02"), body);
    assertEquals(400, refused.status(), refused::text);
    assertEquals(-1022, refused.json().get("code").asInt());
    assertEquals(0, sim.submissions("form-3"));
  }

  @Test
  void aBodyPastMaxBodyBytesIs413AndCreatesNothing() {
    String body = params(limitOrder("form-big", "BTCUSDT", "BUY", "0.01", FAR_BID)) + "&pad=" + "a".repeat(70_000);
    Response refused = form("POST", "/api/v3/order", "", body, body);
    assertEquals(413, refused.status(), refused::text);
    assertEquals(-1000, refused.json().get("code").asInt());
    assertEquals(0, sim.submissions("form-big"));
  }

  @Test
  void theAccountHasOneListenKeyWhileItLives() {
    String first = sim.keyed("POST", "/api/v3/userDataStream").json().get("listenKey").asText();
    assertEquals(first, sim.keyed("POST", "/api/v3/userDataStream").json().get("listenKey").asText());
    assertEquals(200, sim.keyed("DELETE", "/api/v3/userDataStream?listenKey=" + first).status());
    String next = sim.keyed("POST", "/api/v3/userDataStream").json().get("listenKey").asText();
    assertTrue(!next.equals(first), "a new key once the old one is closed");
  }

  private static Map<String, String> market(String clientOrderId, String symbol, String side, String sizeParam, String size) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("symbol", symbol);
    m.put("side", side);
    m.put("type", "MARKET");
    m.put(sizeParam, size);
    if (clientOrderId != null) m.put("newClientOrderId", clientOrderId);
    return m;
  }

  private static BigDecimal free(String asset) {
    return balance(asset, "free");
  }

  private static BigDecimal balance(String asset, String field) {
    Response account = sim.signed("GET", "/api/v3/account", Map.of());
    assertEquals(200, account.status(), account::text);
    for (JsonNode b : account.json().get("balances")) {
      if (b.get("asset").asText().equals(asset)) return new BigDecimal(b.get(field).asText());
    }
    throw new AssertionError(asset + " not in " + account.text());
  }

  @Test
  void ordersAreFoundAndCanceledByOrderIdToo() {
    Response placed = sim.place(limitOrder("by-id-1", "ETHUSDT", "BUY", "0.1", "100.00"));
    assertEquals(200, placed.status(), placed::text);
    String orderId = placed.json().get("orderId").asText();
    Response found = sim.signed("GET", "/api/v3/order", Map.of("symbol", "ETHUSDT", "orderId", orderId));
    assertEquals(200, found.status(), found::text);
    assertEquals("by-id-1", found.json().get("clientOrderId").asText());
    Response wrongSymbol = sim.signed("GET", "/api/v3/order", Map.of("symbol", "SOLUSDT", "orderId", orderId));
    assertEquals(-2013, wrongSymbol.json().get("code").asInt(), wrongSymbol::text);
    Response neither = sim.signed("GET", "/api/v3/order", Map.of("symbol", "ETHUSDT"));
    assertEquals(-1102, neither.json().get("code").asInt(), neither::text);
    Response canceled = sim.signed("DELETE", "/api/v3/order", Map.of("symbol", "ETHUSDT", "orderId", orderId));
    assertEquals(200, canceled.status(), canceled::text);
    assertEquals("CANCELED", canceled.json().get("status").asText());
    Response again = sim.signed("DELETE", "/api/v3/order", Map.of("symbol", "ETHUSDT", "orderId", "999999999"));
    assertEquals(-2011, again.json().get("code").asInt(), again::text);
  }

  @Test
  void exchangeInfoCarriesWhatStockClientsRead() {
    JsonNode btc = null;
    for (JsonNode s : sim.get("/api/v3/exchangeInfo").json().get("symbols")) if (s.get("symbol").asText().equals("BTCUSDT")) btc = s;
    assertNotNull(btc);
    assertEquals("[\"LIMIT\",\"MARKET\"]", btc.get("orderTypes").toString());
    assertEquals("[[\"SPOT\"]]", btc.get("permissionSets").toString());
    assertTrue(btc.get("isSpotTradingAllowed").asBoolean());
    assertTrue(btc.get("quoteOrderQtyMarketAllowed").asBoolean());
    assertEquals(8, btc.get("baseAssetPrecision").asInt());
    List<String> filters = new ArrayList<>();
    btc.get("filters").forEach(f -> filters.add(f.get("filterType").asText()));
    assertEquals(List.of("PRICE_FILTER", "LOT_SIZE", "NOTIONAL", "MAX_NUM_ORDERS"), filters);
    assertEquals("0.01", btc.get("filters").get(0).get("minPrice").asText());
    assertEquals("5", btc.get("filters").get(2).get("minNotional").asText());
  }

  @Test
  void balancesMoveWithFillsAndLocksAndAShortBalanceIsRefused() {
    BigDecimal sol = free("SOL");
    BigDecimal usdt = free("USDT");
    Response bought = sim.place(market("acct-1", "SOLUSDT", "BUY", "quantity", "2"));
    assertEquals(200, bought.status(), bought::text);
    assertEquals("FILLED", bought.json().get("status").asText());
    BigDecimal cost = new BigDecimal(bought.json().get("cummulativeQuoteQty").asText());
    BigDecimal fee = new BigDecimal(bought.json().get("fills").get(0).get("commission").asText());
    assertEquals(0, sol.add(new BigDecimal("2")).compareTo(free("SOL")));
    assertEquals(0, usdt.subtract(cost).subtract(fee).compareTo(free("USDT")), "USDT after the buy");

    BigDecimal lockedBefore = balance("SOL", "locked");
    Response resting = sim.place(limitOrder("acct-2", "SOLUSDT", "SELL", "1.5", "100000.00"));
    assertEquals(200, resting.status(), resting::text);
    assertEquals(0, lockedBefore.add(new BigDecimal("1.5")).compareTo(balance("SOL", "locked")), "a resting SELL locks its quantity");
    sim.cancel("SOLUSDT", "acct-2");
    assertEquals(0, lockedBefore.compareTo(balance("SOL", "locked")), "a cancel gives the lock back");

    Response tooBig = sim.place(market("acct-3", "BTCUSDT", "SELL", "quantity", "2"));
    assertEquals(400, tooBig.status(), tooBig::text);
    assertEquals(-2010, tooBig.json().get("code").asInt());
    assertEquals("Account has insufficient balance for requested action.", tooBig.json().get("msg").asText());
    assertEquals(0, sim.submissions("acct-3"));
  }

  @Test
  void quoteOrderQtyBuysAsMuchAsThatSpends() {
    Response bought = sim.place(market("quote-1", "ETHUSDT", "BUY", "quoteOrderQty", "100"));
    assertEquals(200, bought.status(), bought::text);
    assertEquals("FILLED", bought.json().get("status").asText());
    BigDecimal spent = new BigDecimal(bought.json().get("cummulativeQuoteQty").asText());
    assertTrue(spent.compareTo(new BigDecimal("100")) <= 0 && spent.compareTo(new BigDecimal("99")) > 0, "spent " + spent);
    Response limit = sim.place(Map.of("symbol", "ETHUSDT", "side", "BUY", "type", "LIMIT", "timeInForce", "GTC", "price", "100.00",
        "quoteOrderQty", "100", "newClientOrderId", "quote-2"));
    assertEquals(-1106, limit.json().get("code").asInt(), limit::text);
  }

  @Test
  void anOrderWithoutAClientIdGetsOneMadeUp() {
    Response placed = sim.place(market(null, "SOLUSDT", "BUY", "quantity", "0.1"));
    assertEquals(200, placed.status(), placed::text);
    assertTrue(placed.json().get("clientOrderId").asText().matches("^[A-Za-z0-9_-]{22}$"), placed::text);
  }

  @Test
  void marketDataDepthAndTickers() {
    JsonNode depth = sim.get("/api/v3/depth?symbol=BTCUSDT&limit=5").json();
    assertEquals(5, depth.get("bids").size());
    assertEquals(5, depth.get("asks").size());
    assertTrue(new BigDecimal(depth.get("bids").get(0).get(0).asText()).compareTo(new BigDecimal(depth.get("asks").get(0).get(0).asText())) < 0);
    assertEquals(-1100, sim.get("/api/v3/depth?symbol=BTCUSDT&limit=7").json().get("code").asInt());
    JsonNode day = sim.get("/api/v3/ticker/24hr?symbol=BTCUSDT").json();
    assertEquals("BTCUSDT", day.get("symbol").asText());
    assertNotNull(day.get("lastPrice"));
    assertNotNull(day.get("quoteVolume"));
    assertEquals(3, sim.get("/api/v3/ticker/24hr").json().size());
    assertTrue(new BigDecimal(sim.get("/api/v3/ticker/price?symbol=ETHUSDT").json().get("price").asText()).signum() > 0);
    assertEquals(-1121, sim.get("/api/v3/ticker/price?symbol=NOPE").json().get("code").asInt());
  }

  @Test
  void myTradesAndAllOrdersPageByIdOldestFirst() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Response r = sim.place(market("hist-" + i, "BTCUSDT", "BUY", "quantity", "0.001"));
      assertEquals(200, r.status(), r::text);
      ids.add(r.json().get("orderId").asText());
    }
    JsonNode page = sim.signed("GET", "/api/v3/allOrders", Map.of("symbol", "BTCUSDT", "orderId", ids.get(1), "limit", "2")).json();
    assertEquals(2, page.size(), page::toString);
    assertEquals("hist-1", page.get(0).get("clientOrderId").asText());
    assertEquals("hist-2", page.get(1).get("clientOrderId").asText());
    JsonNode ofOrder = sim.signed("GET", "/api/v3/myTrades", Map.of("symbol", "BTCUSDT", "orderId", ids.get(2))).json();
    assertEquals(1, ofOrder.size(), ofOrder::toString);
    assertEquals(ids.get(2), ofOrder.get(0).get("orderId").asText());
    assertTrue(ofOrder.get(0).get("isBuyer").asBoolean());
    String tradeId = ofOrder.get(0).get("id").asText();
    JsonNode from = sim.signed("GET", "/api/v3/myTrades", Map.of("symbol", "BTCUSDT", "fromId", tradeId)).json();
    assertEquals(tradeId, from.get(0).get("id").asText(), from::toString);
    JsonNode none = sim.signed("GET", "/api/v3/allOrders", Map.of("symbol", "BTCUSDT", "startTime", String.valueOf(System.currentTimeMillis() + 60_000))).json();
    assertEquals(0, none.size(), none::toString);
  }

  @Test
  void whatIsKeptPerOrderFollowsRememberFinalOrders(@TempDir Path own) {
    try (TestVenueSim small = TestVenueSim.inProcess(own, Map.of("spark.venue.sim.remember-final-orders", 2))) {
      for (int i = 1; i <= 4; i++) assertEquals(200, small.place(market("forget-" + i, "SOLUSDT", "BUY", "quantity", "1")).status());
      // the two oldest final orders are forgotten with their attempt counts; their creation stays known
      JsonNode attempts = small.get("/sim/attempts").json();
      assertTrue(!attempts.has("forget-1") && !attempts.has("forget-2") && attempts.has("forget-4"), attempts::toString);
      assertEquals(400, small.query("SOLUSDT", "forget-1").status());
      Response again = small.place(market("forget-1", "SOLUSDT", "BUY", "quantity", "1"));
      assertEquals(-2010, again.json().get("code").asInt(), again::text);
      assertEquals(1, small.submissions("forget-1"), "a forgotten id is still never created twice");
    }
  }

  @Test
  void deleteOpenOrdersCancelsEveryOpenOrderOfTheSymbol() {
    assertEquals(200, sim.place(limitOrder("all-1", "SOLUSDT", "BUY", "1", "10.00")).status());
    assertEquals(200, sim.place(limitOrder("all-2", "SOLUSDT", "BUY", "1", "11.00")).status());
    assertEquals(200, sim.place(limitOrder("all-other", "ETHUSDT", "BUY", "0.1", "100.00")).status());
    Response canceled = sim.signed("DELETE", "/api/v3/openOrders", Map.of("symbol", "SOLUSDT"));
    assertEquals(200, canceled.status(), canceled::text);
    List<String> names = new ArrayList<>();
    canceled.json().forEach(o -> names.add(o.get("clientOrderId").asText() + ":" + o.get("status").asText()));
    assertTrue(names.containsAll(List.of("all-1:CANCELED", "all-2:CANCELED")), names::toString);
    assertEquals("NEW", sim.query("ETHUSDT", "all-other").json().get("status").asText());
    assertEquals(0, sim.signed("GET", "/api/v3/openOrders", Map.of("symbol", "SOLUSDT")).json().size());
    // nothing left to cancel: Binance's answer
    Response again = sim.signed("DELETE", "/api/v3/openOrders", Map.of("symbol", "SOLUSDT"));
    assertEquals(400, again.status(), again::text);
    assertEquals(-2011, again.json().get("code").asInt(), again::text);
  }

  @Test
  void balancesOrdersAndTradesComeBackAfterARestart(@TempDir Path own) {
    TestVenueSim first = TestVenueSim.inProcess(own);
    Response bought;
    Map<String, String> balancesBefore;
    try {
      bought = first.place(market("restart-1", "SOLUSDT", "BUY", "quantity", "3"));
      assertEquals(200, bought.status(), bought::text);
      assertEquals(200, first.place(limitOrder("restart-2", "SOLUSDT", "BUY", "2", "10.00")).status());
      balancesBefore = balances(first);
    } finally {
      first.close();
    }
    TestVenueSim second = TestVenueSim.inProcess(own);
    try {
      assertEquals(balancesBefore, balances(second), "free and locked replayed from the ledger");
      String orderId = bought.json().get("orderId").asText();
      Response byId = second.signed("GET", "/api/v3/order", Map.of("symbol", "SOLUSDT", "orderId", orderId));
      assertEquals("restart-1", byId.json().get("clientOrderId").asText(), byId::text);
      JsonNode trades = second.signed("GET", "/api/v3/myTrades", Map.of("symbol", "SOLUSDT")).json();
      assertEquals(bought.json().get("fills").get(0).get("tradeId").asText(), trades.get(0).get("id").asText(), trades::toString);
      assertEquals(2, second.signed("GET", "/api/v3/allOrders", Map.of("symbol", "SOLUSDT")).json().size());
    } finally {
      second.close();
    }
  }

  @Test
  void openOrdersPerSymbolAreBoundedByMaxNumOrdersAlsoInABatch(@TempDir Path own) throws Exception {
    TestVenueSim small = TestVenueSim.inProcess(own, Map.of("spark.venue-sim.max-open-orders-per-symbol", 2));
    try {
      assertEquals(200, small.place(limitOrder("max-1", "SOLUSDT", "BUY", "1", "10.00")).status());
      String batch = "[" + Json.MAPPER.writeValueAsString(limitOrder("max-2", "SOLUSDT", "BUY", "1", "10.00")) + ","
          + Json.MAPPER.writeValueAsString(limitOrder("max-3", "SOLUSDT", "BUY", "1", "10.00")) + "]";
      JsonNode answers = small.signed("POST", "/api/v3/batchOrders", Map.of("batchOrders", batch)).json();
      assertEquals("NEW", answers.get(0).get("status").asText(), answers::toString);
      assertEquals(-1013, answers.get(1).get("code").asInt(), answers::toString);
      assertEquals("Filter failure: MAX_NUM_ORDERS", answers.get(1).get("msg").asText());
      assertEquals(0, small.submissions("max-3"));
      assertEquals(200, small.place(limitOrder("max-other", "ETHUSDT", "BUY", "0.1", "100.00")).status(), "another symbol has its own bound");
      small.cancel("SOLUSDT", "max-1");
      Response after = small.place(limitOrder("max-3", "SOLUSDT", "BUY", "1", "10.00"));
      assertEquals(200, after.status(), after::text);
    } finally {
      small.close();
    }
  }

  private static Map<String, String> balances(TestVenueSim on) {
    Map<String, String> all = new LinkedHashMap<>();
    for (JsonNode b : on.signed("GET", "/api/v3/account", Map.of()).json().get("balances")) {
      all.put(b.get("asset").asText(), b.get("free").asText() + "/" + b.get("locked").asText());
    }
    return all;
  }
}
