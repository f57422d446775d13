package io.sparkexec.venue;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.sparkexec.AppConfig;
import io.sparkexec.testing.TestServer.Response;
import io.sparkexec.testing.TestVenueSim;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * HttpVenue against the real venue simulator over loopback (its own ActorSystem in this JVM):
 * keep-alive reuse, signatures, per-call timeouts and lost answers as unknown outcomes, the
 * circuit breaker, 429/418 backoff, batches, and fills of resting orders by the user-data stream
 * and by polling.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class HttpVenueIT {

  private static final Duration WAIT = Duration.ofSeconds(60);
  /** Far below BTCUSDT's 65000: rests until canceled. */
  private static final BigDecimal FAR_BID = new BigDecimal("1000.00");

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("HttpVenueIT").build();

  @TempDir
  static Path dataDir;

  private TestVenueSim sim;
  private final List<HttpVenue> venues = new CopyOnWriteArrayList<>();
  private final AtomicLong ids = new AtomicLong();

  @BeforeAll
  void startSim() {
    sim = TestVenueSim.inProcess(dataDir.resolve("shared"));
  }

  @AfterAll
  void stopSim() {
    if (sim != null) sim.close();
  }

  @AfterEach
  void stopVenues() {
    venues.forEach(HttpVenue::stop);
    venues.clear();
    sim.postJson("/sim/faults", "{}");
  }

  private HttpVenue venue(TestVenueSim target, Map<String, Object> overrides) {
    Map<String, Object> c = new HashMap<>();
    c.put("spark.venue.http.url", target.url());
    c.put("spark.venue.http.user-stream.poll-interval", "200 ms");
    c.put("spark.venue.http.user-stream.reconnect-min", "100 ms");
    c.putAll(overrides);
    HttpVenue.Settings settings = HttpVenue.Settings.fromConfig(AppConfig.load(ConfigFactory.parseMap(c)).getConfig("spark.venue.http"));
    HttpVenue venue = new HttpVenue(settings, testKit.system(), java.time.Clock.systemUTC());
    venues.add(venue);
    return venue;
  }

  private HttpVenue started(Map<String, Object> overrides) throws Exception {
    HttpVenue venue = venue(sim, overrides);
    HttpVenue.Info info = get(venue.start());
    assertTrue(info.simulator(), "exchangeInfo says simulator");
    return venue;
  }

  private static <T> T get(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private String id(String prefix) {
    return prefix + "-" + ids.incrementAndGet() + "-" + System.nanoTime();
  }

  private static Venue.VenueOrder limit(String id, String symbol, Side side, String qty, BigDecimal price) {
    return new Venue.VenueOrder(id, symbol, side, OrderType.LIMIT, TimeInForce.GTC, new BigDecimal(qty), price);
  }

  private Venue.VenueOrder resting(String id) {
    return limit(id, "BTCUSDT", Side.BUY, "0.01", FAR_BID);
  }

  @Test
  void pooledConnectionsAreReusedAcrossManyCalls() throws Exception {
    HttpVenue venue = started(Map.of("spark.venue.http.user-stream.enabled", false));
    PoolTransport.Stats before = venue.poolStats();
    List<CompletableFuture<List<Venue.SubmitResult>>> inFlight = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      inFlight.add(venue.submit(List.of(resting(id("keep")))).toCompletableFuture());
      if (inFlight.size() == 8) {
        for (CompletableFuture<List<Venue.SubmitResult>> f : inFlight) assertInstanceOf(Venue.Acknowledged.class, f.get(60, TimeUnit.SECONDS).get(0));
        inFlight.clear();
      }
    }
    PoolTransport.Stats after = venue.poolStats();
    long requests = after.requests() - before.requests();
    long opened = after.connectionsOpened() - before.connectionsOpened();
    assertTrue(requests >= 400, "requests " + requests);
    assertTrue(opened <= 16, "opened " + opened + " connections for " + requests + " requests: " + after);
    assertTrue(after.connectionsOpen() >= 1, "the pool keeps its connections: " + after);
  }

  @Test
  void idleConnectionsAreClosedByUsAfterTheKeepAliveTimeoutAndNewOnesOpenedOnDemand() throws Exception {
    // nothing else on the pool: no book-ticker refresh, no polling of the resting order
    HttpVenue venue = started(Map.of("spark.venue.http.user-stream.enabled", false, "spark.venue.http.keep-alive-timeout-ms", 300,
        "spark.venue.http.book-ticker-interval", "1 h", "spark.venue.http.user-stream.poll-interval", "1 h"));
    assertInstanceOf(Venue.Acknowledged.class, get(venue.submit(List.of(resting(id("idle"))))).get(0));
    long opened = venue.poolStats().connectionsOpened();
    // well before the venue's own idle timeout (60 s), so it was us: the pool has let its idle connections go
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(0, venue.poolStats().connectionsOpen(), venue.poolStats().toString()));
    assertInstanceOf(Venue.Acknowledged.class, get(venue.submit(List.of(resting(id("idle"))))).get(0));
    assertTrue(venue.poolStats().connectionsOpened() > opened, "a new connection: " + venue.poolStats());
  }

  @Test
  void aWrongSecretIsRefusedWithTheVenuesReason() throws Exception {
    HttpVenue venue = venue(sim, Map.of("spark.venue.http.api-secret", "not-the-secret", "spark.venue.http.user-stream.enabled", false));
    get(venue.start()); // public calls need no signature
    String id = id("badsig");
    Venue.SubmitResult result = get(venue.submit(List.of(resting(id)))).get(0);
    Venue.Refused refused = assertInstanceOf(Venue.Refused.class, result);
    assertTrue(refused.reason().contains("-1022") && refused.reason().contains("Signature"), refused.reason());
    assertEquals(0, sim.submissions(id));

    HttpVenue wrongKey = venue(sim, Map.of("spark.venue.http.api-key", "nobody", "spark.venue.http.user-stream.enabled", false));
    get(wrongKey.start());
    Venue.Refused noKey = assertInstanceOf(Venue.Refused.class, get(wrongKey.submit(List.of(resting(id)))).get(0));
    assertTrue(noKey.reason().contains("-2015"), noKey.reason());
  }

  @Test
  void placeQueryCancelAndOpenOrdersRoundTrip() throws Exception {
    HttpVenue venue = started(Map.of("spark.venue.http.user-stream.enabled", false));
    String id = id("rt");
    Venue.Acknowledged ack = assertInstanceOf(Venue.Acknowledged.class, get(venue.submit(List.of(resting(id)))).get(0));
    assertEquals(Venue.VenueStatus.NEW, ack.report().status());
    assertEquals(id, ack.report().clientOrderId());
    // a second submit of the same id is the same order (the venue dedupes)
    Venue.Acknowledged again = assertInstanceOf(Venue.Acknowledged.class, get(venue.submit(List.of(resting(id)))).get(0));
    assertEquals(ack.report().venueOrderId(), again.report().venueOrderId());
    assertEquals(1, sim.submissions(id));

    assertTrue(get(venue.openOrders()).stream().anyMatch(r -> r.clientOrderId().equals(id)));
    Optional<Venue.VenueOrderReport> found = get(venue.query("BTCUSDT", id));
    assertEquals(Venue.VenueStatus.NEW, found.orElseThrow().status());
    assertTrue(get(venue.query("BTCUSDT", id("never"))).isEmpty(), "unknown id: empty, not an error");

    Venue.Canceled canceled = assertInstanceOf(Venue.Canceled.class, get(venue.cancel("BTCUSDT", id)));
    assertEquals(Venue.VenueStatus.CANCELED, canceled.report().status());
    Venue.CancelRefused twice = assertInstanceOf(Venue.CancelRefused.class, get(venue.cancel("BTCUSDT", id)));
    assertEquals(Venue.VenueStatus.CANCELED, twice.report().status(), "a refused cancel of a final order carries its final state");
    Venue.CancelRefused unknown = assertInstanceOf(Venue.CancelRefused.class, get(venue.cancel("BTCUSDT", id("never"))));
    assertEquals(null, unknown.report());
  }

  @Test
  void aBatchIsOneCallWithOneResultPerOrderInOrder() throws Exception {
    HttpVenue venue = started(Map.of("spark.venue.http.user-stream.enabled", false, "spark.venue.http.max-batch-orders", 4));
    List<Venue.VenueOrder> orders = new ArrayList<>();
    for (int i = 0; i < 9; i++) orders.add(resting(id("batch")));
    // a venue-rule refusal inside the batch: below minQty
    orders.set(5, limit(id("tiny"), "BTCUSDT", Side.BUY, "0.000001", FAR_BID));
    List<Venue.SubmitResult> results = get(venue.submit(orders));
    assertEquals(9, results.size());
    for (int i = 0; i < 9; i++) {
      assertEquals(orders.get(i).clientOrderId(), results.get(i).clientOrderId(), "result " + i + " is order " + i + "'s");
      if (i == 5) assertInstanceOf(Venue.Refused.class, results.get(i));
      else assertInstanceOf(Venue.Acknowledged.class, results.get(i));
    }
    assertEquals(0, sim.submissions(orders.get(5).clientOrderId()));
  }

  @Test
  void aCallPastItsTimeoutIsUnknownAndTheOrderIsFoundLater() throws Exception {
    HttpVenue venue = started(Map.of("spark.venue.http.user-stream.enabled", false, "spark.venue.http.call-timeout-ms", 400));
    assertEquals(200, sim.postJson("/sim/faults", "{\"latencyMs\": 3000}").status());
    String id = id("slow");
    Venue.Unknown unknown = assertInstanceOf(Venue.Unknown.class, get(venue.submit(List.of(resting(id)))).get(0));
    assertTrue(unknown.error().contains("no answer within 400 ms"), unknown.error());
    sim.postJson("/sim/faults", "{}");
    await().atMost(WAIT).ignoreExceptions().until(() -> get(venue.query("BTCUSDT", id)).isPresent());
    assertEquals(1, sim.submissions(id));
  }

  @Test
  void anAcceptedOrderWhoseAnswerIsLostIsUnknownAndAQueryFindsIt() throws Exception {
    HttpVenue venue = started(Map.of("spark.venue.http.user-stream.enabled", false));
    assertEquals(200, sim.postJson("/sim/faults", "{\"dropAfterAcceptPct\": 100}").status());
    String id = id("lost");
    Venue.Unknown unknown = assertInstanceOf(Venue.Unknown.class, get(venue.submit(List.of(resting(id)))).get(0));
    sim.postJson("/sim/faults", "{}");
    Venue.VenueOrderReport found = get(venue.query("BTCUSDT", id)).orElseThrow(() -> new AssertionError("not found after " + unknown));
    assertEquals(Venue.VenueStatus.NEW, found.status());
    // resubmitting the same id is safe: the venue answers the existing order
    assertInstanceOf(Venue.Acknowledged.class, get(venue.submit(List.of(resting(id)))).get(0));
    assertEquals(1, sim.submissions(id));
  }

  @Test
  void theBreakerOpensOnTimeoutsAnswersAtOnceThenHalfOpensAndCloses() throws Exception {
    HttpVenue http = started(Map.of("spark.venue.http.user-stream.enabled", false, "spark.venue.http.call-timeout-ms", 300));
    CircuitBreakerVenue venue = new CircuitBreakerVenue(http,
        new CircuitBreakerVenue.Settings(3, Duration.ofSeconds(5), Duration.ofMillis(500), Duration.ofSeconds(2)), testKit.system());
    sim.postJson("/sim/faults", "{\"latencyMs\": 2000}");
    for (int i = 0; i < 3; i++) assertInstanceOf(Venue.Unknown.class, get(venue.submit(List.of(resting(id("brk"))))).get(0));
    // the breaker counts a failure in a callback of the call, which may run just after the caller sees the answer
    await().atMost(WAIT).until(() -> venue.state() == CircuitBreakerVenue.State.OPEN);
    String whileOpen = id("open");
    Venue.Unknown fast = assertInstanceOf(Venue.Unknown.class, get(venue.submit(List.of(resting(whileOpen)))).get(0));
    assertTrue(fast.error().contains("circuit breaker open"), fast.error());
    assertEquals(0, sim.attempts(whileOpen), "nothing reached the venue while open");

    sim.postJson("/sim/faults", "{}");
    await().atMost(WAIT).until(() -> venue.state() == CircuitBreakerVenue.State.HALF_OPEN);
    assertInstanceOf(Venue.Acknowledged.class, get(venue.submit(List.of(resting(id("trial"))))).get(0));
    await().atMost(WAIT).until(() -> venue.state() == CircuitBreakerVenue.State.CLOSED);
  }

  @Test
  void rateLimitAnswersAreWaitedOutAndTheOrderStillGoesThrough() throws Exception {
    try (TestVenueSim limited = TestVenueSim.inProcess(dataDir.resolve("limited"), Map.of(
        "spark.venue-sim.rate-limits.orders-per-second", 5,
        "spark.venue-sim.rate-limits.ban-after-requests", 2,
        "spark.venue-sim.rate-limits.ban-duration", "2 s"))) {
      HttpVenue venue = venue(limited, Map.of("spark.venue.http.user-stream.enabled", false));
      get(venue.start());
      // another client on the same key runs into the limit and keeps going: the key is banned (418)
      int status = 0;
      for (int i = 0; i < 50 && status != 418; i++) {
        Response r = limited.place(TestVenueSim.limitOrder(id("burn"), "BTCUSDT", "BUY", "0.01", "1000.00"));
        status = r.status();
        if (status == 429 || status == 418) assertTrue(r.header("Retry-After").isPresent(), r::toString);
      }
      assertEquals(418, status, "the simulator banned the key");
      String id = id("patient");
      Venue.SubmitResult result = get(venue.submit(List.of(resting(id)))).get(0);
      assertInstanceOf(Venue.Acknowledged.class, result, "waited out the ban instead of failing: " + result);
      assertEquals(1, limited.submissions(id));

      // our own limiter follows the published 5 orders/s: 20 orders at once all go through
      List<CompletableFuture<List<Venue.SubmitResult>>> burst = new ArrayList<>();
      for (int i = 0; i < 20; i++) burst.add(venue.submit(List.of(resting(id("burst")))).toCompletableFuture());
      for (CompletableFuture<List<Venue.SubmitResult>> f : burst) {
        Venue.SubmitResult r = f.get(120, TimeUnit.SECONDS).get(0);
        assertInstanceOf(Venue.Acknowledged.class, r, r.toString());
      }
    }
  }

  @Test
  void fillsOfRestingOrdersArriveByTheUserDataStream() throws Exception {
    HttpVenue venue = started(Map.of());
    await().atMost(WAIT).until(venue::userStreamConnected);
    assertRestingOrderFillArrives(venue);
  }

  @Test
  void aDroppedStreamReconnectsAndFillsKeepArriving() throws Exception {
    HttpVenue venue = started(Map.of());
    await().atMost(WAIT).until(venue::userStreamConnected);
    venue.dropUserStream();
    await().atMost(WAIT).until(() -> !venue.userStreamConnected());
    await().atMost(WAIT).until(venue::userStreamConnected);
    assertRestingOrderFillArrives(venue);
  }

  @Test
  void withoutKeepAliveEveryCallOpensItsOwnConnection() throws Exception {
    HttpVenue venue = started(Map.of("spark.venue.http.user-stream.enabled", false, "spark.venue.http.keep-alive", false,
        "spark.venue.http.book-ticker-interval", "1 h"));
    PoolTransport.Stats before = venue.poolStats();
    for (int i = 0; i < 20; i++) assertInstanceOf(Venue.Acknowledged.class, get(venue.submit(List.of(resting(id("close"))))).get(0));
    PoolTransport.Stats after = venue.poolStats();
    assertTrue(after.connectionsOpened() - before.connectionsOpened() >= 20, "Connection: close on every call: " + after);
  }

  @Test
  void withTheStreamCutFillsArriveByPolling() throws Exception {
    HttpVenue venue = started(Map.of("spark.venue.http.user-stream.enabled", false));
    assertTrue(!venue.userStreamConnected());
    assertRestingOrderFillArrives(venue);
  }

  /**
   * BUYs at the bid and SELLs at the ask rest; whichever way the price walks, one side crosses
   * and trades, and its report arrives unasked.
   */
  private void assertRestingOrderFillArrives(HttpVenue venue) throws Exception {
    List<Venue.VenueOrderReport> pushed = new CopyOnWriteArrayList<>();
    venue.onExecutionReport(pushed::add);
    await().atMost(WAIT).until(() -> venue.quote("SOLUSDT") != null);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      String id = id("rest");
      // the simulator's touch now, not the link's polled quote: a stale price can rest far from the
      // book and wait longer than WAIT for the walk to come back; at the touch the next move trades it
      com.fasterxml.jackson.databind.JsonNode book = sim.get("/api/v3/ticker/bookTicker?symbol=SOLUSDT").json();
      Side side = i % 2 == 0 ? Side.BUY : Side.SELL;
      BigDecimal price = new BigDecimal(book.path(side == Side.BUY ? "bidPrice" : "askPrice").asText());
      Venue.SubmitResult r = get(venue.submit(List.of(limit(id, "SOLUSDT", side, "1.000", price)))).get(0);
      Venue.Acknowledged ack = assertInstanceOf(Venue.Acknowledged.class, r);
      if (ack.report().fills().isEmpty()) ids.add(id);
    }
    assertTrue(!ids.isEmpty(), "some orders rested");
    await().atMost(WAIT).until(() -> pushed.stream().anyMatch(p -> ids.contains(p.clientOrderId()) && !p.fills().isEmpty()));
    for (String id : ids) venue.cancel("SOLUSDT", id);
  }
}
