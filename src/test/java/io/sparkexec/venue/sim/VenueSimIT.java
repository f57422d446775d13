package io.sparkexec.venue.sim;

import static io.sparkexec.testing.TestVenueSim.limitOrder;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.Json;
import io.sparkexec.testing.TestServer.Response;
import io.sparkexec.testing.TestVenueSim;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The venue simulator in this JVM, called over real HTTP on loopback with signed requests:
 * signatures, place/dedupe/batch/cancel/query/openOrders, rate limits, the user-data WebSocket,
 * injected faults, and a restart on the same ledger.
 */
@ExtendWith(LogCapturingExtension.class)
class VenueSimIT {

  /** Far below BTCUSDT's 65000: rests until canceled. */
  private static final String FAR_BID = "1000.00";

  @TempDir
  static Path dataDir;

  static TestVenueSim sim;

  @BeforeAll
  static void start() {
    sim = TestVenueSim.inProcess(dataDir);
  }

  @AfterAll
  static void stop() {
    if (sim != null) sim.close();
  }

  @Test
  void publicEndpointsDescribeTheSimulator() {
    assertEquals(200, sim.get("/api/v3/ping").status());
    long serverTime = sim.get("/api/v3/time").json().get("serverTime").asLong();
    assertTrue(Math.abs(serverTime - System.currentTimeMillis()) < 60_000, "serverTime " + serverTime);
    Response info = sim.get("/api/v3/exchangeInfo");
    assertEquals(200, info.status(), info::toString);
    JsonNode json = info.json();
    assertTrue(json.get("simulator").asBoolean());
    assertEquals("REQUEST_WEIGHT", json.get("rateLimits").get(0).get("rateLimitType").asText());
    JsonNode btc = symbol(json, "BTCUSDT");
    assertEquals("0.01", filter(btc, "PRICE_FILTER").get("tickSize").asText());
    assertEquals("0.00001", filter(btc, "LOT_SIZE").get("stepSize").asText());
    assertEquals("5", filter(btc, "NOTIONAL").get("minNotional").asText());
    JsonNode ticker = sim.get("/api/v3/ticker/bookTicker?symbol=BTCUSDT").json();
    assertTrue(new BigDecimal(ticker.get("askPrice").asText()).compareTo(new BigDecimal(ticker.get("bidPrice").asText())) > 0, ticker::toString);
    assertTrue(info.header("X-MBX-USED-WEIGHT-1S").isPresent(), "used weight header");
  }

  @Test
  void signedCallsNeedTheKeyAFreshTimestampAndTheRightSignature() {
    Map<String, String> params = Map.of("symbol", "BTCUSDT", "origClientOrderId", "sig-none");
    Response good = sim.signed("GET", "/api/v3/order", params);
    assertEquals(400, good.status(), good::toString);
    assertEquals(-2013, good.json().get("code").asInt(), "a good signature reaches the handler: " + good);

    Response badSignature = sim.send(sim.signedRequest("GET", "/api/v3/order", params, System.currentTimeMillis(), "not-the-secret").build());
    assertEquals(400, badSignature.status(), badSignature::toString);
    assertEquals(-1022, badSignature.json().get("code").asInt());

    Response stale = sim.send(sim.signedRequest("GET", "/api/v3/order", params, System.currentTimeMillis() - 60_000, TestVenueSim.API_SECRET).build());
    assertEquals(400, stale.status(), stale::toString);
    assertEquals(-1021, stale.json().get("code").asInt());

    Response ahead = sim.send(sim.signedRequest("GET", "/api/v3/order", params, System.currentTimeMillis() + 30_000, TestVenueSim.API_SECRET).build());
    assertEquals(-1021, ahead.json().get("code").asInt(), ahead::toString);

    Response wrongKey = sim.send(sim.signedRequest("GET", "/api/v3/order", params, System.currentTimeMillis(), TestVenueSim.API_SECRET)
        .setHeader("X-MBX-APIKEY", "someone-else").build());
    assertEquals(401, wrongKey.status(), wrongKey::toString);
    assertEquals(-2015, wrongKey.json().get("code").asInt());

    Response unsigned = sim.keyed("GET", "/api/v3/order?symbol=BTCUSDT&origClientOrderId=x&timestamp=" + System.currentTimeMillis());
    assertEquals(-1102, unsigned.json().get("code").asInt(), unsigned::toString);
  }

  @Test
  void aKnownClientOrderIdIsNeverCreatedTwice() {
    Response first = sim.place(limitOrder("dedupe-1", "BTCUSDT", "BUY", "0.01000", FAR_BID));
    assertEquals(200, first.status(), first::toString);
    JsonNode order = first.json();
    assertEquals("NEW", order.get("status").asText());
    assertEquals("dedupe-1", order.get("clientOrderId").asText());
    assertEquals("1000.00", order.get("price").asText());

    Response second = sim.place(limitOrder("dedupe-1", "BTCUSDT", "BUY", "0.01000", FAR_BID));
    assertEquals(200, second.status(), second::toString);
    assertEquals(order.get("orderId").asLong(), second.json().get("orderId").asLong());
    assertEquals(1, sim.submissions("dedupe-1"));
    assertEquals(2, sim.attempts("dedupe-1"));
  }

  @Test
  void filterFailuresCreateNothing() {
    Response tooSmall = sim.place(limitOrder("filter-1", "BTCUSDT", "BUY", "0.00001", FAR_BID));
    assertEquals(400, tooSmall.status(), tooSmall::toString);
    assertEquals(-1013, tooSmall.json().get("code").asInt());
    assertTrue(tooSmall.json().get("msg").asText().contains("MIN_NOTIONAL"), tooSmall::toString);
    Map<String, String> noSide = new LinkedHashMap<>(limitOrder("filter-2", "BTCUSDT", "BUY", "0.01", FAR_BID));
    noSide.remove("side");
    Response missing = sim.place(noSide);
    assertEquals(-1102, missing.json().get("code").asInt(), missing::toString);
    assertTrue(missing.json().get("msg").asText().contains("'side'"), missing::toString);
    assertEquals(0, sim.submissions("filter-1"));
    assertEquals(0, sim.submissions("filter-2"));
  }

  @Test
  void marketOrdersFillAtOnce() {
    Map<String, String> market = new LinkedHashMap<>();
    market.put("symbol", "ETHUSDT");
    market.put("side", "BUY");
    market.put("type", "MARKET");
    market.put("quantity", "0.0100");
    market.put("newClientOrderId", "market-1");
    Response r = sim.place(market);
    assertEquals(200, r.status(), r::toString);
    assertEquals("FILLED", r.json().get("status").asText());
    assertEquals(1, r.json().get("fills").size());
    assertTrue(r.json().get("fills").get(0).get("tradeId").asLong() > 0);
  }

  @Test
  void batchAnswersEveryOrderInItsPlace() throws Exception {
    List<Map<String, String>> batch = List.of(
        limitOrder("batch-1", "BTCUSDT", "BUY", "0.01", FAR_BID),
        limitOrder("batch-2", "BTCUSDT", "BUY", "0.00001", FAR_BID),
        limitOrder("batch-3", "ETHUSDT", "BUY", "0.0100", "1000.00"));
    Response r = sim.signed("POST", "/api/v3/batchOrders", Map.of("batchOrders", Json.MAPPER.writeValueAsString(batch)));
    assertEquals(200, r.status(), r::toString);
    JsonNode answers = r.json();
    assertEquals(3, answers.size());
    assertEquals("batch-1", answers.get(0).get("clientOrderId").asText());
    assertEquals(-1013, answers.get(1).get("code").asInt(), answers::toString);
    assertEquals("batch-3", answers.get(2).get("clientOrderId").asText());
    assertEquals(1, sim.submissions("batch-1"));
    assertEquals(0, sim.submissions("batch-2"));
    assertEquals(1, sim.attempts("batch-2"));
  }

  @Test
  void cancelQueryAndOpenOrders() {
    assertEquals(200, sim.place(limitOrder("cancel-1", "SOLUSDT", "BUY", "1.000", "10.00")).status());
    assertEquals(200, sim.place(limitOrder("open-1", "SOLUSDT", "BUY", "1.000", "10.00")).status());

    Response open = sim.signed("GET", "/api/v3/openOrders", Map.of("symbol", "SOLUSDT"));
    assertEquals(200, open.status(), open::toString);
    Set<String> ids = new HashSet<>();
    open.json().forEach(o -> ids.add(o.get("clientOrderId").asText()));
    assertTrue(ids.containsAll(Set.of("cancel-1", "open-1")), ids::toString);

    Response canceled = sim.cancel("SOLUSDT", "cancel-1");
    assertEquals(200, canceled.status(), canceled::toString);
    assertEquals("CANCELED", canceled.json().get("status").asText());
    Response again = sim.cancel("SOLUSDT", "cancel-1");
    assertEquals(400, again.status(), again::toString);
    assertEquals(-2011, again.json().get("code").asInt());
    assertEquals("Order is CANCELED", again.json().get("msg").asText());
    assertEquals(-2011, sim.cancel("SOLUSDT", "never-placed").json().get("code").asInt());

    Response query = sim.query("SOLUSDT", "cancel-1");
    assertEquals(200, query.status(), query::toString);
    assertEquals("CANCELED", query.json().get("status").asText());
    assertEquals(-2013, sim.query("SOLUSDT", "never-placed").json().get("code").asInt());

    Set<String> after = new HashSet<>();
    sim.signed("GET", "/api/v3/openOrders", Map.of()).json().forEach(o -> after.add(o.get("clientOrderId").asText()));
    assertTrue(after.contains("open-1") && !after.contains("cancel-1"), after::toString);
  }

  @Test
  void userDataStreamDeliversFillsOfRestingOrdersAndCancels() throws Exception {
    String listenKey = sim.keyed("POST", "/api/v3/userDataStream").json().get("listenKey").asText();
    assertEquals(200, sim.keyed("PUT", "/api/v3/userDataStream?listenKey=" + listenKey).status());
    BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
        .buildAsync(URI.create("ws://127.0.0.1:" + sim.port() + "/ws/" + listenKey), collector(frames)).get(30, TimeUnit.SECONDS);
    try {
      // a BUY one tick under the bid rests, and the random walk soon crosses it
      String id = null;
      for (int i = 0; i < 20 && id == null; i++) {
        String bid = sim.get("/api/v3/ticker/bookTicker?symbol=BTCUSDT").json().get("bidPrice").asText();
        String price = new BigDecimal(bid).subtract(new BigDecimal("0.01")).toPlainString();
        Response placed = sim.place(limitOrder("ws-fill-" + i, "BTCUSDT", "BUY", "0.01000", price));
        if (placed.json().get("status").asText().equals("NEW")) id = "ws-fill-" + i;
      }
      assertTrue(id != null, "no order came to rest");
      JsonNode fill = next(frames, id, "TRADE");
      assertEquals("executionReport", fill.get("e").asText());
      assertEquals("FILLED", fill.get("X").asText());
      assertEquals("0.01000", fill.get("l").asText());
      assertTrue(fill.get("t").asLong() > 0);

      assertEquals(200, sim.place(limitOrder("ws-cancel", "BTCUSDT", "BUY", "0.01000", FAR_BID)).status());
      assertEquals(200, sim.cancel("BTCUSDT", "ws-cancel").status());
      JsonNode cancel = next(frames, "ws-cancel", "CANCELED");
      assertEquals("CANCELED", cancel.get("X").asText());
      assertEquals(-1, cancel.get("t").asLong());
    } finally {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "done");
    }
    Response unknown = sim.get("/ws/not-a-listen-key");
    assertEquals(-1125, unknown.json().get("code").asInt(), unknown::toString);
  }

  @Test
  void injectedFaultsLoseTheAnswerOrTheRequest() {
    try {
      assertEquals(200, sim.postJson("/sim/faults", "{\"failBeforeAcceptPct\":100}").status());
      Response unavailable = sim.place(limitOrder("fault-never", "BTCUSDT", "BUY", "0.01000", FAR_BID));
      assertEquals(503, unavailable.status(), unavailable::toString);
      assertEquals(0, sim.submissions("fault-never"));
      assertEquals(1, sim.attempts("fault-never"));

      assertEquals(200, sim.postJson("/sim/faults", "{\"dropAfterAcceptPct\":100,\"latencyMs\":50}").status());
      assertEquals(50, sim.get("/sim/faults").json().get("latencyMs").asInt());
      assertThrows(UncheckedIOException.class, () -> sim.place(limitOrder("fault-lost", "BTCUSDT", "BUY", "0.01000", FAR_BID)));
      assertEquals(1, sim.submissions("fault-lost"), "created though the answer was lost");
    } finally {
      assertEquals(200, sim.postJson("/sim/faults", "{}").status());
    }
    Response found = sim.query("BTCUSDT", "fault-lost");
    assertEquals("NEW", found.json().get("status").asText(), found::toString);
    Response resubmit = sim.place(limitOrder("fault-lost", "BTCUSDT", "BUY", "0.01000", FAR_BID));
    assertEquals(found.json().get("orderId").asLong(), resubmit.json().get("orderId").asLong());
    assertEquals(1, sim.submissions("fault-lost"));
    Response badFault = sim.postJson("/sim/faults", "{\"dropAfterAcceptPct\":101}");
    assertEquals(400, badFault.status(), badFault::toString);
    assertTrue(badFault.json().get("msg").asText().contains("dropAfterAcceptPct"));
  }

  @Test
  void keepingOnWhileToldToWaitEndsInABan(@TempDir Path limitedDir) {
    try (TestVenueSim limited = TestVenueSim.inProcess(limitedDir, Map.of(
        "spark.venue-sim.rate-limits.request-weight-per-second", 5,
        "spark.venue-sim.rate-limits.ban-after-requests", 2))) {
      List<Integer> statuses = new ArrayList<>();
      List<String> retryAfter = new ArrayList<>();
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        Response r = limited.keyed("GET", "/api/v3/time");
        statuses.add(r.status());
        if (r.status() != 200) retryAfter.add(r.status() + ":" + r.header("Retry-After").orElse("none"));
        return r.status() == 418;
      });
      int firstLimited = statuses.indexOf(429);
      assertTrue(firstLimited >= 0 && firstLimited < statuses.indexOf(418), statuses::toString);
      assertFalse(retryAfter.contains("429:none") || retryAfter.contains("418:none"), retryAfter::toString);
      int ban = Integer.parseInt(retryAfter.get(retryAfter.size() - 1).substring(4));
      assertTrue(ban > 1, "a ban lasts longer than a wait: " + retryAfter);
      Response stillBanned = limited.keyed("GET", "/api/v3/time");
      assertEquals(418, stillBanned.status(), stillBanned::toString);
      assertEquals(-1003, stillBanned.json().get("code").asInt());
    }
  }

  @Test
  void ordersAndDedupeSurviveARestart(@TempDir Path restartDir) {
    // a frozen market first, so the resting order is still open when the simulator stops
    Map<String, Object> frozen = Map.of("spark.venue.sim.tick-ms", 3_600_000);
    long restingId;
    long filledId;
    try (TestVenueSim first = TestVenueSim.inProcess(restartDir, frozen)) {
      // at the initial bid (65000.00): rests, and the walk crosses it soon after the restart
      Response resting = first.place(limitOrder("restart-rest", "BTCUSDT", "BUY", "0.01000", "65000.00"));
      assertEquals("NEW", resting.json().get("status").asText(), resting::toString);
      restingId = resting.json().get("orderId").asLong();
      Response filled = first.place(limitOrder("restart-fill", "BTCUSDT", "BUY", "0.01000", "65000.01"));
      assertEquals("FILLED", filled.json().get("status").asText(), filled::toString);
      filledId = filled.json().get("orderId").asLong();
    }
    try (TestVenueSim second = TestVenueSim.inProcess(restartDir, frozen)) {
      Response open = second.signed("GET", "/api/v3/openOrders", Map.of("symbol", "BTCUSDT"));
      assertEquals(1, open.json().size(), open::toString);
      assertEquals(restingId, open.json().get(0).get("orderId").asLong());
      Response again = second.place(limitOrder("restart-fill", "BTCUSDT", "BUY", "0.01000", "65000.01"));
      assertEquals(filledId, again.json().get("orderId").asLong(), again::toString);
      assertEquals("FILLED", again.json().get("status").asText());
      assertEquals(1, second.submissions("restart-fill"));
      assertEquals(2, second.attempts("restart-fill"));
      Response fresh = second.place(limitOrder("restart-new", "BTCUSDT", "BUY", "0.01000", FAR_BID));
      assertTrue(fresh.json().get("orderId").asLong() > Math.max(restingId, filledId), "ids continue: " + fresh);
    }
    try (TestVenueSim third = TestVenueSim.inProcess(restartDir)) {
      await().atMost(Duration.ofSeconds(60)).until(() -> third.query("BTCUSDT", "restart-rest").json().get("status").asText().equals("FILLED"));
      assertEquals(1, third.submissions("restart-rest"));
    }
  }

  // ---- helpers ----

  private static JsonNode symbol(JsonNode info, String symbol) {
    for (JsonNode s : info.get("symbols")) if (s.get("symbol").asText().equals(symbol)) return s;
    throw new AssertionError("no " + symbol + " in " + info);
  }

  private static JsonNode filter(JsonNode symbol, String type) {
    for (JsonNode f : symbol.get("filters")) if (f.get("filterType").asText().equals(type)) return f;
    throw new AssertionError("no " + type + " in " + symbol);
  }

  private static JsonNode next(BlockingQueue<JsonNode> frames, String clientOrderId, String executionType) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      JsonNode frame = frames.poll(1, TimeUnit.SECONDS);
      if (frame != null && frame.get("c").asText().equals(clientOrderId) && frame.get("x").asText().equals(executionType)) return frame;
    }
    throw new AssertionError("no " + executionType + " frame for " + clientOrderId);
  }

  private static WebSocket.Listener collector(BlockingQueue<JsonNode> frames) {
    return new WebSocket.Listener() {
      private final StringBuilder text = new StringBuilder();

      @Override
      public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
          try {
            frames.add(Json.MAPPER.readTree(text.toString()));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
          text.setLength(0);
        }
        socket.request(1);
        return null;
      }
    };
  }
}
