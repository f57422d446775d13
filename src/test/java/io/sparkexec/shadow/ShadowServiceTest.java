package io.sparkexec.shadow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.typesafe.config.ConfigFactory;
import io.sparkexec.AppConfig;
import io.sparkexec.order.OrderRequest;
import io.sparkexec.order.Rejection;
import io.sparkexec.order.Scope;
import io.sparkexec.venue.MarketData;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.SymbolRule;
import io.sparkexec.venue.TimeInForce;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A seeded scenario on a frozen market: every fill price, slippage and latency is worked out here
 * from the simulator's published rules (touch, impact per touch size, tick rounding against the
 * taker, partial fill up to the touch size) and the seeded jitter, not by calling the code under test.
 */
@ExtendWith(TestKitJUnit5Extension.class)
class ShadowServiceTest {

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("ShadowServiceTest").withCustomConfig(EventSourcedBehaviorTestKit.config()
      .withFallback(ConfigFactory.parseString("pekko.actor.serialization-bindings { \"io.sparkexec.CborSerializable\" = jackson-cbor }"))).build();

  static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
  static final Map<String, SymbolRule> RULES =
      SymbolRule.fromConfig(AppConfig.load().getConfig("spark.venue"));
  static final MarketData MARKET = symbol -> new MarketData.Quote(symbol, new BigDecimal("65000.00"), new BigDecimal("65000.01"), NOW);
  static final long SEED = 1234;
  static final int ACK_MS = 3;
  static final int JITTER_MS = 5;

  // one book at a time on an empty journal: the book's persistence id is fixed
  ActorRef<ShadowBook.Command> book;

  @BeforeEach
  void emptyJournal() {
    PersistenceTestKit.create(testKit.system()).clearAll();
    book = testKit.spawn(ShadowBook.create(100, 50));
  }

  @AfterEach
  void stopBook() {
    testKit.stop(book);
  }

  ShadowService service(String mode) {
    return new ShadowService(testKit.system(), book, List.of(), MARKET, RULES,
        new ShadowService.Settings(new BigDecimal("5"), Duration.ofMillis(ACK_MS), JITTER_MS, SEED), Clock.fixed(NOW, ZoneOffset.UTC),
        Duration.ofSeconds(10), null, mode);
  }

  static OrderRequest order(String id, Side side, OrderType type, String qty, String price) {
    return new OrderRequest(id, "BTCUSDT", side, type, type == OrderType.MARKET ? TimeInForce.IOC : TimeInForce.GTC, new BigDecimal(qty),
        price == null ? null : new BigDecimal(price), "alpha", OrderRequest.RespType.ACKNOWLEDGED);
  }

  ShadowOrder placed(ShadowService s, OrderRequest r) {
    var outcome = s.place(r, Scope.ALL, ShadowOrder.REQUEST).toCompletableFuture().join();
    return assertInstanceOf(ShadowService.Shadowed.class, outcome).order();
  }

  static void assertDecimal(String expected, BigDecimal actual) {
    assertEquals(0, new BigDecimal(expected).compareTo(actual), () -> "expected " + expected + " but was " + actual);
  }

  /** Slippage in bps worked out in doubles, for comparison to 4 places. */
  static double bps(Side side, double decision, double fill) {
    return (side == Side.BUY ? fill - decision : decision - fill) / decision * 10_000;
  }

  @Test
  void seededScenarioFillsSlippageLatencyAndReport() {
    ShadowService s = service("shadow");
    Random jitter = new Random(SEED);
    List<Long> latencies = new ArrayList<>();
    for (int i = 0; i < 4; i++) latencies.add((long) ACK_MS + jitter.nextInt(JITTER_MS + 1));

    // 1. MARKET BUY 0.5 = 0.2 touch sizes: impact 5 x 0.2 = 1 bp on the ask 65000.01 -> 65006.511001, up to the tick: 65006.52
    ShadowOrder buy = placed(s, order("m-buy", Side.BUY, OrderType.MARKET, "0.5", null));
    assertDecimal("65000.01", buy.decisionPrice());
    assertDecimal("65006.52", buy.avgPrice());
    assertEquals(ShadowFill.Status.FILLED, buy.status());
    assertEquals(bps(Side.BUY, 65000.01, 65006.52), buy.slippageBps().doubleValue(), 0.00005);
    assertEquals(latencies.get(0), buy.latencyMs());

    // 2. MARKET SELL 5 = 2 touch sizes: 10 bp below the bid 65000.00 -> 64935.00 exactly
    ShadowOrder sell = placed(s, order("m-sell", Side.SELL, OrderType.MARKET, "5", null));
    assertDecimal("64935.00", sell.avgPrice());
    assertDecimal("10", sell.slippageBps());
    assertEquals(latencies.get(1), sell.latencyMs());

    // 3. LIMIT BUY 4 @ 65010 crosses the ask: only the 2.5 shown at the touch fill, at the touch; the rest rests
    ShadowOrder big = placed(s, order("l-big", Side.BUY, OrderType.LIMIT, "4", "65010.00"));
    assertEquals(ShadowFill.Status.PARTIALLY_FILLED, big.status());
    assertDecimal("2.5", big.executedQty());
    assertDecimal("65000.01", big.avgPrice());
    assertDecimal("0", big.slippageBps());
    assertEquals(latencies.get(2), big.latencyMs());

    // 4. LIMIT SELL @ 65100 does not cross the bid: rests, no fill, no slippage
    ShadowOrder rest = placed(s, order("l-rest", Side.SELL, OrderType.LIMIT, "1", "65100.00"));
    assertEquals(ShadowFill.Status.RESTING, rest.status());
    assertNull(rest.slippageBps());
    assertEquals(latencies.get(3), rest.latencyMs());

    // the report (shadow mode: shadow figures alone) over the three orders with fills
    ShadowService.Report report = s.report("alpha", Scope.ALL).toCompletableFuture().join();
    assertNull(report.real());
    assertEquals(3, report.shadow().count());
    double[] slips = {bps(Side.BUY, 65000.01, 65006.52), 10, 0};
    assertEquals((slips[0] + slips[1] + slips[2]) / 3, report.shadow().meanSlippageBps().doubleValue(), 0.0001);
    assertDecimal("10", report.shadow().p95SlippageBps());
    List<Long> filledLatencies = latencies.subList(0, 3);
    assertEquals(filledLatencies.stream().mapToLong(Long::longValue).average().orElseThrow(), report.shadow().meanLatencyMs().doubleValue(), 0.0001);
    assertEquals(filledLatencies.stream().mapToLong(Long::longValue).max().orElseThrow(), report.shadow().p95LatencyMs().longValueExact());

    assertEquals(List.of("m-buy", "m-sell", "l-big", "l-rest"),
        s.orders("alpha", Scope.ALL).toCompletableFuture().join().stream().map(ShadowOrder::clientOrderId).toList());
  }

  @Test
  void p95IsTheNearestRank() {
    List<BigDecimal> hundred = new ArrayList<>();
    for (int i = 100; i >= 1; i--) hundred.add(BigDecimal.valueOf(i));
    assertDecimal("95", ShadowService.p95(hundred));
    assertDecimal("50.5", ShadowService.mean(hundred));
  }

  @Test
  void aScopedKeyCannotShadowAnotherStrategyNorSeeItsShadows() {
    ShadowService s = service("shadow");
    placed(s, order("mine", Side.BUY, OrderType.MARKET, "0.1", null));
    Scope beta = Scope.of(Set.of("beta"));
    var refused = assertInstanceOf(ShadowService.Refused.class, s.place(order("x", Side.BUY, OrderType.MARKET, "0.1", null), beta,
        ShadowOrder.REQUEST).toCompletableFuture().join());
    assertEquals(Rejection.Kind.FORBIDDEN, refused.rejection().kind());
    assertEquals(List.of(), s.orders(null, beta).toCompletableFuture().join());
  }

  @Test
  void aGuardRefusalIsAnsweredAndNothingIsJournaled() {
    ShadowService s = new ShadowService(testKit.system(), book, List.of(r -> Rejection.rule("quantity", "TOO_BIG", "no")), MARKET, RULES,
        new ShadowService.Settings(new BigDecimal("5"), Duration.ofMillis(ACK_MS), JITTER_MS, SEED), Clock.fixed(NOW, ZoneOffset.UTC),
        Duration.ofSeconds(10), null, "paper");
    var refused = assertInstanceOf(ShadowService.Refused.class, s.place(order("x", Side.BUY, OrderType.MARKET, "0.1", null), Scope.ALL,
        ShadowOrder.REQUEST).toCompletableFuture().join());
    assertEquals("TOO_BIG", refused.rejection().code());
    assertEquals(List.of(), s.orders(null, Scope.ALL).toCompletableFuture().join());
  }
}
