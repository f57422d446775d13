package io.sparkexec.venue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.venue.Venue.VenueStatus;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The simulator without its scheduler: zero ack latency answers at once, and the test calls
 * {@code tick()} itself, so every price step and match is deterministic.
 */
class SimulatedVenueTest {

  static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  // mid 100.00: bid 100.00, ask 100.01; touch size 1; fee 0.1%; impact 5 bps per touch size traded
  static SymbolRule rule(double volatilityBps) {
    return new SymbolRule("TSTUSDT", "TST", "USDT", new BigDecimal("0.01"), new BigDecimal("0.001"), new BigDecimal("0.001"),
        new BigDecimal("1000"), new BigDecimal("5"), new BigDecimal("100.00"), volatilityBps, 1, BigDecimal.ONE);
  }

  final List<Venue.VenueOrderReport> reports = new ArrayList<>();

  SimulatedVenue venue(double volatilityBps) {
    return venue(volatilityBps, 1000);
  }

  SimulatedVenue venue(double volatilityBps, int rememberFinalOrders) {
    SimulatedVenue v = new SimulatedVenue(new SimulatedVenue.Settings(7, Duration.ZERO, Duration.ofMillis(100), new BigDecimal("0.001"),
        new BigDecimal("5"), rememberFinalOrders), Map.of("TSTUSDT", rule(volatilityBps)), null, CLOCK);
    v.onExecutionReport(reports::add);
    return v;
  }

  static Venue.VenueOrder limit(String id, Side side, TimeInForce tif, String qty, String price) {
    return new Venue.VenueOrder(id, "TSTUSDT", side, OrderType.LIMIT, tif, new BigDecimal(qty), new BigDecimal(price));
  }

  static Venue.VenueOrder market(String id, Side side, String qty) {
    return new Venue.VenueOrder(id, "TSTUSDT", side, OrderType.MARKET, TimeInForce.IOC, new BigDecimal(qty), null);
  }

  static Venue.SubmitResult submit(SimulatedVenue v, Venue.VenueOrder o) {
    List<Venue.SubmitResult> results = v.submit(List.of(o)).toCompletableFuture().join();
    assertEquals(1, results.size());
    return results.get(0);
  }

  static Venue.VenueOrderReport acked(SimulatedVenue v, Venue.VenueOrder o) {
    return assertInstanceOf(Venue.Acknowledged.class, submit(v, o)).report();
  }

  /** Ticks until a report matching {@code until} arrives (the walk is seeded, so this is repeatable). */
  Venue.VenueOrderReport tickUntil(SimulatedVenue v, Predicate<Venue.VenueOrderReport> until) {
    for (int i = 0; i < 200_000; i++) {
      int seen = reports.size();
      v.tick();
      for (Venue.VenueOrderReport r : reports.subList(seen, reports.size())) if (until.test(r)) return r;
    }
    throw new AssertionError("no matching report after 200000 ticks; got " + reports);
  }

  static void assertDecimal(String expected, BigDecimal actual) {
    assertEquals(0, new BigDecimal(expected).compareTo(actual), () -> "expected " + expected + " but was " + actual);
  }

  @Test
  void quotesStartAtTheInitialPrice() {
    SimulatedVenue v = venue(0);
    MarketData.Quote q = v.quote("TSTUSDT");
    assertDecimal("100.00", q.bid());
    assertDecimal("100.01", q.ask());
    assertDecimal("100.01", q.touch(Side.BUY));
    assertDecimal("100.00", q.touch(Side.SELL));
    assertNull(v.quote("NOPE"));
  }

  @Test
  void marketBuyFillsAtTheAskPlusImpactRoundedUpToTheTick() {
    SimulatedVenue v = venue(0);
    Venue.VenueOrderReport r = acked(v, market("m1", Side.BUY, "0.5"));
    assertEquals(VenueStatus.FILLED, r.status());
    assertEquals(1, r.fills().size());
    Venue.Fill fill = r.fills().get(0);
    // 0.5 of a touch size of 1 -> 2.5 bps; 100.01 x 1.00025 = 100.0350025 -> up to the tick: 100.04
    assertEquals(new BigDecimal("100.04"), fill.price());
    assertDecimal("0.5", fill.quantity());
    // fee 100.04 x 0.5 x 0.001 = 0.05002
    assertEquals(new BigDecimal("0.05002000"), fill.fee());
    assertEquals("USDT", fill.feeAsset());
    assertEquals(NOW, fill.time());
    // ids carry the simulator's run id (its start time), so a restarted simulator never repeats one
    String runId = Long.toString(NOW.toEpochMilli(), 36);
    assertTrue(r.venueOrderId().startsWith("SIM-" + runId + "-"), r.venueOrderId());
    assertTrue(fill.tradeId().startsWith("T" + runId + "-"), fill.tradeId());
  }

  @Test
  void marketSellFillsAtTheBidMinusImpactRoundedDown() {
    SimulatedVenue v = venue(0);
    Venue.Fill fill = acked(v, market("m2", Side.SELL, "1.5")).fills().get(0);
    // 1.5 touch sizes -> 7.5 bps; 100.00 x 0.99925 = 99.925 -> down to the tick: 99.92
    assertEquals(new BigDecimal("99.92"), fill.price());
    assertDecimal("1.5", fill.quantity());
  }

  @Test
  void aSellLargeEnoughToWalkThePriceThroughZeroTradesAtOneTick() {
    SimulatedVenue v = venue(0);
    // 999 touch sizes at 5 bps: 49.95% under the bid, still a price
    Venue.Fill fill = acked(v, market("m-huge", Side.SELL, "999")).fills().get(0);
    assertTrue(fill.price().signum() > 0, fill::toString);
    SimulatedVenue deeper = new SimulatedVenue(new SimulatedVenue.Settings(7, Duration.ZERO, Duration.ofMillis(100), new BigDecimal("0.001"),
        new BigDecimal("50"), 1000), Map.of("TSTUSDT", rule(0)), null, CLOCK);
    // 50 bps per touch x 999 touches: 4995% under the bid, floored at the tick
    assertEquals(new BigDecimal("0.01"), acked(deeper, market("m-deeper", Side.SELL, "999")).fills().get(0).price());
  }

  @Test
  void openOrdersAreTheRestingOnesOnly() {
    SimulatedVenue v = venue(0);
    acked(v, limit("rest-1", Side.BUY, TimeInForce.GTC, "0.5", "90.00"));
    acked(v, limit("rest-2", Side.SELL, TimeInForce.GTC, "0.5", "110.00"));
    acked(v, market("gone-1", Side.BUY, "0.1"));
    acked(v, limit("gone-2", Side.BUY, TimeInForce.IOC, "0.5", "90.00"));
    assertEquals(VenueStatus.CANCELED, assertInstanceOf(Venue.Canceled.class, v.cancel("TSTUSDT", "rest-2").toCompletableFuture().join())
        .report().status());
    List<String> open = v.openOrders().toCompletableFuture().join().stream().map(Venue.VenueOrderReport::clientOrderId).toList();
    assertEquals(List.of("rest-1"), open);
  }

  @Test
  void crossingLimitFillsAtTheTouchUpToTheTouchSize() {
    SimulatedVenue v = venue(0);
    Venue.VenueOrderReport small = acked(v, limit("l1", Side.BUY, TimeInForce.GTC, "0.5", "100.05"));
    assertEquals(VenueStatus.FILLED, small.status());
    assertEquals(new BigDecimal("100.01"), small.fills().get(0).price());

    Venue.VenueOrderReport big = acked(v, limit("l2", Side.BUY, TimeInForce.GTC, "2.5", "100.05"));
    assertEquals(VenueStatus.PARTIALLY_FILLED, big.status());
    assertDecimal("1", big.fills().get(0).quantity());

    Venue.VenueOrderReport ioc = acked(v, limit("l3", Side.SELL, TimeInForce.IOC, "2.5", "99.90"));
    assertEquals(VenueStatus.EXPIRED, ioc.status());
    assertEquals(new BigDecimal("100.00"), ioc.fills().get(0).price());
    assertDecimal("1", ioc.fills().get(0).quantity());
    assertEquals("no liquidity for IOC", ioc.reason());
  }

  @Test
  void fokAndIocExpireWithoutFillsWhenTheyCannotFill() {
    SimulatedVenue v = venue(0);
    Venue.VenueOrderReport fokTooBig = acked(v, limit("f1", Side.BUY, TimeInForce.FOK, "2.5", "100.05"));
    assertEquals(VenueStatus.EXPIRED, fokTooBig.status());
    assertEquals(List.of(), fokTooBig.fills());
    assertEquals("no liquidity for FOK", fokTooBig.reason());

    Venue.VenueOrderReport fokFits = acked(v, limit("f2", Side.BUY, TimeInForce.FOK, "1", "100.05"));
    assertEquals(VenueStatus.FILLED, fokFits.status());

    Venue.VenueOrderReport iocAway = acked(v, limit("i1", Side.BUY, TimeInForce.IOC, "1", "99.00"));
    assertEquals(VenueStatus.EXPIRED, iocAway.status());
    assertEquals(List.of(), iocAway.fills());

    // expired orders never rest: no tick brings a fill
    Venue.VenueOrderReport resting = acked(v, limit("g1", Side.BUY, TimeInForce.GTC, "1", "99.00"));
    assertEquals(VenueStatus.NEW, resting.status());
  }

  @Test
  void restingLimitFillsWhenThePriceCrossesAtMostTheTouchSizePerTick() {
    SimulatedVenue v = venue(20);
    Venue.VenueOrderReport placed = acked(v, limit("r1", Side.BUY, TimeInForce.GTC, "2.5", "99.90"));
    assertEquals(VenueStatus.NEW, placed.status());
    assertEquals(List.of(), placed.fills());

    Venue.VenueOrderReport first = tickUntil(v, r -> r.clientOrderId().equals("r1"));
    // it only fills once the ask has come down to the limit, and then at the limit or better (the ask)
    BigDecimal ask = v.quote("TSTUSDT").ask();
    assertTrue(ask.compareTo(new BigDecimal("99.90")) <= 0);
    assertEquals(VenueStatus.PARTIALLY_FILLED, first.status());
    assertEquals(1, first.fills().size());
    assertEquals(0, new BigDecimal("99.90").min(ask).compareTo(first.fills().get(0).price()));
    assertDecimal("1", first.fills().get(0).quantity());

    Venue.VenueOrderReport done = tickUntil(v, r -> r.clientOrderId().equals("r1") && r.status() == VenueStatus.FILLED);
    assertEquals(List.of("1", "1", "0.5"), done.fills().stream().map(f -> f.quantity().stripTrailingZeros().toPlainString()).toList());
    assertEquals(3, reports.stream().filter(r -> r.clientOrderId().equals("r1")).count(), "one report per fill");
    // filled orders leave the book
    int seen = reports.size();
    for (int i = 0; i < 2000; i++) v.tick();
    assertTrue(reports.subList(seen, reports.size()).stream().noneMatch(r -> r.clientOrderId().equals("r1")));
    assertEquals(done, v.query("TSTUSDT", "r1").toCompletableFuture().join().orElseThrow());
  }

  @Test
  void restingSellFillsWhenTheBidRises() {
    SimulatedVenue v = venue(20);
    acked(v, limit("s1", Side.SELL, TimeInForce.GTC, "0.5", "100.20"));
    Venue.VenueOrderReport r = tickUntil(v, x -> x.clientOrderId().equals("s1"));
    assertEquals(VenueStatus.FILLED, r.status());
    BigDecimal bid = v.quote("TSTUSDT").bid();
    assertTrue(bid.compareTo(new BigDecimal("100.20")) >= 0);
    assertEquals(0, new BigDecimal("100.20").max(bid).compareTo(r.fills().get(0).price()));
  }

  @Test
  void resubmitOfTheSameClientOrderIdIsDeduped() {
    SimulatedVenue v = venue(0);
    Venue.VenueOrderReport first = acked(v, market("d1", Side.BUY, "0.5"));
    Venue.VenueOrderReport again = acked(v, market("d1", Side.BUY, "0.5"));
    assertEquals(first, again);
    assertEquals(1, again.fills().size());
    Venue.VenueOrderReport other = acked(v, market("d2", Side.BUY, "0.5"));
    assertNotEquals(first.venueOrderId(), other.venueOrderId());
    assertNotEquals(first.fills().get(0).tradeId(), other.fills().get(0).tradeId());
  }

  @Test
  void batchSubmitAnswersInOrderWithRuleRejects() {
    SimulatedVenue v = venue(0);
    List<Venue.SubmitResult> results = v.submit(List.of(
        market("b1", Side.BUY, "0.5"),
        market("b2", Side.BUY, "0.0001"),
        limit("b3", Side.BUY, TimeInForce.GTC, "1", "99.001"),
        new Venue.VenueOrder("b4", "NOPE", Side.BUY, OrderType.MARKET, TimeInForce.IOC, BigDecimal.ONE, null))).toCompletableFuture().join();
    assertEquals(List.of("b1", "b2", "b3", "b4"), results.stream().map(Venue.SubmitResult::clientOrderId).toList());
    assertInstanceOf(Venue.Acknowledged.class, results.get(0));
    assertTrue(assertInstanceOf(Venue.Refused.class, results.get(1)).reason().startsWith("MIN_QTY: "));
    assertTrue(assertInstanceOf(Venue.Refused.class, results.get(2)).reason().startsWith("TICK_SIZE: "));
    assertEquals(new Venue.Refused("b4", "unknown symbol NOPE"), results.get(3));
    // a refused order was never created
    assertEquals(Optional.empty(), v.query("TSTUSDT", "b2").toCompletableFuture().join());
  }

  @Test
  void cancelRestingFinalAndUnknownOrders() {
    SimulatedVenue v = venue(20);
    acked(v, limit("c1", Side.BUY, TimeInForce.GTC, "0.5", "99.90"));
    acked(v, limit("c2", Side.BUY, TimeInForce.GTC, "0.5", "99.90"));

    Venue.CancelResult canceled = v.cancel("TSTUSDT", "c1").toCompletableFuture().join();
    Venue.VenueOrderReport report = assertInstanceOf(Venue.Canceled.class, canceled).report();
    assertEquals(VenueStatus.CANCELED, report.status());
    assertEquals(List.of(), report.fills());

    // c2 at the same price fills; the canceled c1 has left the book
    tickUntil(v, r -> r.clientOrderId().equals("c2"));
    assertTrue(reports.stream().noneMatch(r -> r.clientOrderId().equals("c1")));

    Venue.CancelRefused filled = assertInstanceOf(Venue.CancelRefused.class, v.cancel("TSTUSDT", "c2").toCompletableFuture().join());
    assertEquals("order is FILLED", filled.reason());
    assertEquals(VenueStatus.FILLED, filled.report().status());

    Venue.CancelRefused again = assertInstanceOf(Venue.CancelRefused.class, v.cancel("TSTUSDT", "c1").toCompletableFuture().join());
    assertEquals("order is CANCELED", again.reason());

    assertEquals(new Venue.CancelRefused("unknown order", null), v.cancel("TSTUSDT", "nope").toCompletableFuture().join());
    assertEquals(new Venue.CancelRefused("unknown order", null), v.cancel("OTHER", "c2").toCompletableFuture().join());
  }

  @Test
  void queryAnswersTheVenueView() {
    SimulatedVenue v = venue(0);
    Venue.VenueOrderReport r = acked(v, limit("q1", Side.BUY, TimeInForce.GTC, "2.5", "100.05"));
    assertEquals(Optional.of(r), v.query("TSTUSDT", "q1").toCompletableFuture().join());
    assertEquals(Optional.empty(), v.query("TSTUSDT", "q2").toCompletableFuture().join());
    assertEquals(Optional.empty(), v.query("OTHER", "q1").toCompletableFuture().join());
    assertTrue(v.isSimulator());
  }

  @Test
  void finalOrdersAreForgottenOldestFirstPastTheBound() {
    SimulatedVenue v = venue(20, 2);
    Venue.VenueOrderReport m1 = acked(v, market("m1", Side.BUY, "0.5"));
    acked(v, market("m2", Side.BUY, "0.5"));
    // open orders are never forgotten
    acked(v, limit("open", Side.BUY, TimeInForce.GTC, "0.5", "90.00"));
    acked(v, limit("ioc", Side.BUY, TimeInForce.IOC, "0.5", "90.00"));
    assertEquals(Optional.empty(), v.query("TSTUSDT", "m1").toCompletableFuture().join());
    assertTrue(v.query("TSTUSDT", "m2").toCompletableFuture().join().isPresent());
    assertTrue(v.query("TSTUSDT", "ioc").toCompletableFuture().join().isPresent());
    assertTrue(v.query("TSTUSDT", "open").toCompletableFuture().join().isPresent());
    // a canceled order counts as final too
    v.cancel("TSTUSDT", "open").toCompletableFuture().join();
    assertEquals(Optional.empty(), v.query("TSTUSDT", "m2").toCompletableFuture().join());
    assertTrue(v.query("TSTUSDT", "open").toCompletableFuture().join().isPresent());
    // a forgotten id is a new order to the simulator
    Venue.VenueOrderReport again = acked(v, market("m1", Side.BUY, "0.5"));
    assertNotEquals(m1.venueOrderId(), again.venueOrderId());
  }
}
