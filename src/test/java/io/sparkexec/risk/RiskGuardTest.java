package io.sparkexec.risk;

import io.sparkexec.testing.ManualClock;
import static io.sparkexec.risk.RiskFixtures.limitOrder;
import static io.sparkexec.risk.RiskFixtures.marketOrder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.sparkexec.order.OrderDesk;
import io.sparkexec.order.OrderGuard;
import io.sparkexec.order.OrderRequest;
import io.sparkexec.order.Rejection;
import io.sparkexec.venue.OrderSpec;
import io.sparkexec.venue.MarketData;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.Venue;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The guard over the two event-sourced actors it reads: trading state, every limit, reservations, day roll-over. */
@ExtendWith(TestKitJUnit5Extension.class)
class RiskGuardTest {

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("RiskGuardTest").withCustomConfig(RiskFixtures.KIT_CONFIG).build();

  /** A clock the test moves. */
  static final Instant T0 = Instant.parse("2026-03-01T12:00:00.100Z");
  // BTCUSDT bid 100.00 / ask 100.10: notional and the collar are easy to compute by hand
  static final MarketData MARKET = symbol -> new MarketData.Quote(symbol, new BigDecimal("100.00"), new BigDecimal("100.10"), T0);

  ManualClock clock;
  // the actors publish to whichever book is current: a restart test swaps in a fresh one
  final java.util.concurrent.atomic.AtomicReference<RiskBook> current = new java.util.concurrent.atomic.AtomicReference<>();
  RiskBook book;
  OrderGuard guard;
  EventSourcedBehaviorTestKit<Guardrails.Command, Guardrails.Event, Guardrails.State> guardrails;
  EventSourcedBehaviorTestKit<RiskLedger.Command, RiskLedger.Event, RiskLedger.Ledger> ledger;
  long offset;
  int ids;

  @BeforeEach
  void fresh() {
    clock = new ManualClock(T0);
    book = new RiskBook(clock, MARKET, RiskFixtures.DEFAULTS, Duration.ofSeconds(15), RiskFixtures.NODE);
    current.set(book);
    guard = book.guard();
    guardrails = EventSourcedBehaviorTestKit.create(testKit.system(), Guardrails.create(new Guardrails.Deps(clock, TradingState.ACTIVE,
        RiskFixtures.DEFAULTS, 100, 10, s -> current.get().guardrailsChanged(s), e -> { })));
    ledger = EventSourcedBehaviorTestKit.create(testKit.system(), RiskLedger.create(new RiskLedger.Deps(100,
        // one thread drives both actors here, so the lock need not follow the book a restart test swaps in
        new Object(), (s, facts) -> current.get().ledgerFolded(s, facts), s -> current.get().ledgerRecovered(s))), EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyState(false));
    guardrails.clear();
    ledger.clear();
    guardrails.restart();
    ledger.restart();
    offset = 0;
  }

  String id() {
    return "o" + ++ids;
  }

  void limit(Limit limit, String value) {
    guardrails.<Guardrails.State>runCommand(r -> new Guardrails.SetLimit(limit, new BigDecimal(value), "test", "ops", r));
  }

  void state(TradingState to) {
    guardrails.<Guardrails.State>runCommand(r -> new Guardrails.SetTradingState(to, "test " + to, false, "ops", r));
  }

  /** The order room journaled this order (and its fills): the ledger folds it as the projection would. */
  void journaled(OrderRequest r, String... fills) {
    List<RiskLedger.Entry> entries = new ArrayList<>();
    entries.add(new RiskLedger.Entry(++offset, RiskLedger.factOf(r.clientOrderId(), new OrderDesk.OrderAccepted(r.clientOrderId(), new OrderSpec(r.symbol(), r.side(), r.type(), r.timeInForce(), r.quantity(), r.price(), r.strategy()), MARKET.quote(r.symbol()).touch(r.side()), clock.instant(), clock.instant()))));
    for (String q : fills) {
      entries.add(new RiskLedger.Entry(++offset, RiskLedger.factOf(r.clientOrderId(), new OrderDesk.OrderFilled(r.clientOrderId(), r.strategy(), new Venue.Fill("t" + offset, new BigDecimal("100"), new BigDecimal(q), BigDecimal.ZERO, "USDT", clock.instant())))));
    }
    ledger.<Done>runCommand(replyTo -> new RiskLedger.Apply(entries, replyTo));
  }

  /** Passes the guard, then is journaled (and filled) as the order room would. */
  OrderRequest placed(OrderRequest r, String... fills) {
    assertNull(guard.check(r), () -> "expected to pass: " + r);
    journaled(r, fills);
    return r;
  }

  static void assertHit(Rejection r, Rejection.Kind kind, String limit, String remaining) {
    assertNotNull(r, "expected a rejection");
    assertEquals(kind, r.kind(), r::toString);
    assertEquals(limit, r.details().get("limit"), r::toString);
    if (remaining != null) assertEquals(remaining, r.details().get("remaining"), r::toString);
  }

  // ---- trading state ----

  @Test
  void activePassesAndHaltedRefusesEveryOrderWith423StateAndReason() {
    assertNull(guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1", "100.00")));
    state(TradingState.HALTED);
    for (OrderRequest r : List.of(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1", "100.00"), marketOrder(id(), null, "BTCUSDT", Side.SELL, "1"))) {
      Rejection rej = guard.check(r);
      assertEquals(Rejection.Kind.LOCKED, rej.kind());
      assertEquals(423, rej.kind().httpStatus);
      assertEquals("TRADING_HALTED", rej.code());
      assertEquals("HALTED", rej.details().get("state"));
      assertEquals("test HALTED", rej.details().get("reason"));
    }
    state(TradingState.ACTIVE);
    assertNull(guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1", "100.00")));
  }

  @Test
  void reducingPassesOnlyOrdersThatMoveThePositionTowardZeroWithoutCrossing() {
    placed(marketOrder(id(), "alpha", "BTCUSDT", Side.BUY, "3"), "3");
    state(TradingState.REDUCING);

    Rejection more = guard.check(marketOrder(id(), "alpha", "BTCUSDT", Side.BUY, "0.1"));
    assertEquals("TRADING_REDUCING", more.code());
    assertEquals("3", more.details().get("position"));
    assertEquals("REDUCING", more.details().get("state"));
    Rejection cross = guard.check(marketOrder(id(), "alpha", "BTCUSDT", Side.SELL, "3.5"));
    assertEquals(Rejection.Kind.LOCKED, cross.kind());
    assertEquals("3", cross.details().get("maxReducingQty"));
    assertEquals("TRADING_REDUCING", guard.check(marketOrder(id(), "beta", "BTCUSDT", Side.SELL, "1")).code(),
        "another strategy has no position to reduce");

    OrderRequest first = limitOrder(id(), "alpha", "BTCUSDT", Side.SELL, "2", "100.00");
    assertNull(guard.check(first), "2 of 3 reduces");
    Rejection together = guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.SELL, "1.5", "100.00"));
    assertEquals("1", together.details().get("maxReducingQty"), "the passed, not yet journaled sell counts: 3 - 2 leaves 1");
    journaled(first);
    assertEquals("1", guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.SELL, "1.5", "100.00")).details().get("maxReducingQty"),
        "once journaled, the open sell still counts");
    assertNull(guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.SELL, "1", "100.00")), "exactly to zero");
  }

  @Test
  void reducingAShortPositionTakesBuys() {
    placed(marketOrder(id(), "alpha", "ETHUSDT", Side.SELL, "2"), "2");
    state(TradingState.REDUCING);
    assertEquals("TRADING_REDUCING", guard.check(marketOrder(id(), "alpha", "ETHUSDT", Side.SELL, "1")).code());
    assertNull(guard.check(marketOrder(id(), "alpha", "ETHUSDT", Side.BUY, "2")));
  }

  // ---- limits, one by one ----

  @Test
  void maxOrderQty() {
    limit(Limit.MAX_ORDER_QTY, "2");
    assertNull(guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "2", "100.00")));
    Rejection r = guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "2.001", "100.00"));
    assertHit(r, Rejection.Kind.RULE, "maxOrderQty", "2");
    assertEquals("2.001", r.details().get("attempted"));
    assertEquals("quantity", r.field());
    assertEquals("RISK_LIMIT", r.code());
  }

  @Test
  void maxOrderNotionalValuesMarketOrdersAtTheTouch() {
    limit(Limit.MAX_ORDER_NOTIONAL, "1000");
    assertNull(guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "10", "100.00")), "10 x 100.00 = 1000");
    assertNull(guard.check(marketOrder(id(), "alpha", "BTCUSDT", Side.SELL, "10")), "sell at the bid: 10 x 100.00");
    Rejection buy = guard.check(marketOrder(id(), "alpha", "BTCUSDT", Side.BUY, "10"));
    assertHit(buy, Rejection.Kind.RULE, "maxOrderNotional", "1000");
    assertEquals("1001", buy.details().get("attempted"), "buy at the ask: 10 x 100.10");
  }

  @Test
  void priceCollarAroundTheTouch() {
    limit(Limit.PRICE_COLLAR_PCT, "1");
    assertNull(guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1", "101.10")), "1% above the ask 100.10 is 101.101");
    Rejection r = guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1", "101.11"));
    assertHit(r, Rejection.Kind.RULE, "priceCollarPct", null);
    assertEquals("1.009", r.details().get("attempted"), "|101.11 - 100.10| / 100.10 = 1.0090...%");
    assertEquals("101.101", r.details().get("maxPrice"));
    assertEquals("price", r.field());
    Rejection sell = guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.SELL, "1", "98.99"));
    assertHit(sell, Rejection.Kind.RULE, "priceCollarPct", null);
    assertEquals("99", sell.details().get("minPrice"), "1% under the bid 100.00");
    // passive prices only rest: a bid far under the market and an offer far above it pass
    assertNull(guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1", "1.00")));
    assertNull(guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.SELL, "1", "1000.00")));
    assertNull(guard.check(marketOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1")), "MARKET orders have no price to collar");
  }

  @Test
  void dailyNotionalPerSymbolCountsJournaledAndJustPassedOrders() {
    limit(Limit.DAILY_NOTIONAL_PER_SYMBOL, "1000");
    placed(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "4", "100.00"));
    assertNull(guard.check(limitOrder(id(), "beta", "BTCUSDT", Side.SELL, "5", "100.00")), "passed, not journaled yet: reserved");
    Rejection r = guard.check(limitOrder(id(), "gamma", "BTCUSDT", Side.BUY, "2", "100.00"));
    assertHit(r, Rejection.Kind.RULE, "dailyNotionalPerSymbol", "100");
    assertEquals("900", r.details().get("used"));
    assertEquals("200", r.details().get("attempted"));
    assertNull(guard.check(limitOrder(id(), "gamma", "ETHUSDT", Side.BUY, "2", "100.00")), "another symbol has its own budget");
  }

  @Test
  void dailyNotionalPerStrategy() {
    limit(Limit.DAILY_NOTIONAL_PER_STRATEGY, "500");
    placed(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "3", "100.00"));
    placed(limitOrder(id(), "alpha", "ETHUSDT", Side.BUY, "2", "100.00"));
    assertHit(guard.check(limitOrder(id(), "alpha", "SOLUSDT", Side.BUY, "0.01", "100.00")), Rejection.Kind.RULE, "dailyNotionalPerStrategy", "0");
    assertNull(guard.check(limitOrder(id(), "beta", "SOLUSDT", Side.BUY, "5", "100.00")));
  }

  @Test
  void dailyUsageRollsOverAtUtcMidnight() {
    limit(Limit.DAILY_NOTIONAL_PER_SYMBOL, "1000");
    clock.set(Instant.parse("2026-03-01T23:59:59Z"));
    placed(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "10", "100.00"));
    assertHit(guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1", "100.00")), Rejection.Kind.RULE, "dailyNotionalPerSymbol", "0");

    clock.set(Instant.parse("2026-03-02T00:00:00Z"));
    assertNull(guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "10", "100.00")), "a new UTC day has the whole budget");
  }

  @Test
  void maxOpenOrdersPerStrategy() {
    limit(Limit.MAX_OPEN_ORDERS_PER_STRATEGY, "2");
    placed(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1", "100.00"));
    assertNull(guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1", "100.00")));
    assertHit(guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1", "100.00")), Rejection.Kind.RULE, "maxOpenOrdersPerStrategy", "0");
    placed(limitOrder(id(), "beta", "BTCUSDT", Side.BUY, "1", "100.00"));
    OrderRequest filled = marketOrder(id(), "gamma", "BTCUSDT", Side.BUY, "1");
    placed(filled, "1");
    assertEquals(Map.of("beta", 1L, "alpha", 1L), openByStrategy(), "a filled order is no longer open");
  }

  Map<String, Long> openByStrategy() {
    return ledger.getState().open().values().stream()
        .collect(java.util.stream.Collectors.groupingBy(RiskLedger.OpenOrder::strategy, java.util.stream.Collectors.counting()));
  }

  @Test
  void maxOrdersPerSecondPerStrategyIs429AndResetsNextSecond() {
    limit(Limit.MAX_ORDERS_PER_SECOND_PER_STRATEGY, "3");
    for (int i = 0; i < 3; i++) assertNull(guard.check(marketOrder(id(), "alpha", "BTCUSDT", Side.BUY, "0.1")));
    Rejection r = guard.check(marketOrder(id(), "alpha", "BTCUSDT", Side.BUY, "0.1"));
    assertHit(r, Rejection.Kind.TOO_MANY, "maxOrdersPerSecondPerStrategy", "0");
    assertEquals(429, r.kind().httpStatus);
    assertEquals("RATE_LIMIT", r.code());
    assertNull(guard.check(marketOrder(id(), "beta", "BTCUSDT", Side.BUY, "0.1")), "per strategy");
    clock.set(T0.plusSeconds(1));
    assertNull(guard.check(marketOrder(id(), "alpha", "BTCUSDT", Side.BUY, "0.1")));
  }

  // ---- reservations ----

  @Test
  void aRetryOfTheSameClientOrderIdIsNotCountedTwice() {
    limit(Limit.MAX_OPEN_ORDERS_PER_STRATEGY, "1");
    OrderRequest r = limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1", "100.00");
    assertNull(guard.check(r));
    assertNull(guard.check(r), "retry before journaling");
    journaled(r);
    assertNull(guard.check(r), "retry after journaling");
  }

  @Test
  void aPassedOrderThatIsNeverJournaledStopsCountingAfterTheTtl() {
    limit(Limit.MAX_OPEN_ORDERS_PER_STRATEGY, "1");
    assertNull(guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1", "100.00")));
    assertHit(guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1", "100.00")), Rejection.Kind.RULE, "maxOpenOrdersPerStrategy", "0");
    clock.set(T0.plusSeconds(16));
    assertNull(guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1", "100.00")));
  }

  @Test
  void aReleasedRequestGivesBackItsReservationAndItsRateSlot() {
    limit(Limit.MAX_OPEN_ORDERS_PER_STRATEGY, "1");
    limit(Limit.MAX_ORDERS_PER_SECOND_PER_STRATEGY, "1");
    OrderRequest notJournaled = limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1", "100.00");
    assertNull(guard.check(notJournaled));
    assertNotNull(guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1", "100.00")), "held: both limits are used up");

    guard.release(notJournaled);

    assertNull(guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1", "100.00")), "the same second, nothing else changed");
  }

  @Test
  void aRetrysOutcomeDoesNotGiveBackTheFirstRequestsReservation() {
    limit(Limit.MAX_OPEN_ORDERS_PER_STRATEGY, "1");
    String id = id();
    assertNull(guard.check(limitOrder(id, "alpha", "BTCUSDT", Side.BUY, "1", "100.00")));
    OrderRequest retry = limitOrder(id, "alpha", "BTCUSDT", Side.BUY, "1", "100.00");
    assertNull(guard.check(retry));

    guard.release(retry);

    assertHit(guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1", "100.00")), Rejection.Kind.RULE, "maxOpenOrdersPerStrategy", "0");
  }

  @Test
  void theDryRunGuardChecksTheSameLimitsButCountsNothing() {
    limit(Limit.MAX_OPEN_ORDERS_PER_STRATEGY, "1");
    OrderGuard dryRun = book.dryRunGuard();
    for (int i = 0; i < 3; i++) assertNull(dryRun.check(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1", "100.00")));
    assertHit(dryRun.check(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1", "100000.00")), Rejection.Kind.RULE, "priceCollarPct", null);
    assertNull(guard.check(limitOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1", "100.00")));
  }

  @Test
  void restartOfBothActorsKeepsPositionsAndDailyUsageForTheGuard() {
    limit(Limit.DAILY_NOTIONAL_PER_STRATEGY, "1000");
    placed(marketOrder(id(), "alpha", "BTCUSDT", Side.BUY, "4"), "4");
    state(TradingState.REDUCING);

    RiskBook after = new RiskBook(clock, MARKET, RiskFixtures.DEFAULTS, Duration.ofSeconds(15), RiskFixtures.NODE);
    current.set(after);
    guardrails.restart();
    ledger.restart();

    Rejection r = after.guard().check(marketOrder(id(), "alpha", "BTCUSDT", Side.SELL, "5"));
    assertEquals("TRADING_REDUCING", r.code());
    assertEquals("4", r.details().get("position"));
    state(TradingState.ACTIVE);
    assertHit(after.guard().check(limitOrder(id(), "alpha", "ETHUSDT", Side.BUY, "6.01", "100.00")), Rejection.Kind.RULE,
        "dailyNotionalPerStrategy", "599.6");
  }

  // ---- node-wide bounds: all strategies together ----

  /** A book over the same actors with tight node bounds (the per-strategy limits stay wide). */
  RiskBook nodeBook(int maxOpen, int maxPerSecond, int maxStrategies) {
    RiskBook b = new RiskBook(clock, MARKET, RiskFixtures.DEFAULTS, Duration.ofSeconds(15), new RiskBook.NodeBounds(maxOpen, maxPerSecond, maxStrategies));
    current.set(b);
    guardrails.restart();
    ledger.restart();
    guard = b.guard();
    return b;
  }

  @Test
  void inventedStrategyNamesMeetTheNodeOpenOrderCapAs429AndAReleaseGivesTheSlotBack() {
    nodeBook(3, 1000, 1000);
    placed(limitOrder(id(), "inv-1", "BTCUSDT", Side.BUY, "1", "99.00"));
    placed(limitOrder(id(), "inv-2", "BTCUSDT", Side.BUY, "1", "99.00"));
    OrderRequest reserved = limitOrder(id(), "inv-3", "BTCUSDT", Side.BUY, "1", "99.00");
    assertNull(guard.check(reserved), "passed, not journaled yet: it counts");
    clock.set(T0.plusSeconds(1));
    Rejection r = guard.check(limitOrder(id(), "inv-4", "BTCUSDT", Side.BUY, "1", "99.00"));
    assertNotNull(r, "every strategy is far under its own limit, the node is full");
    assertEquals("NODE_OPEN_ORDER_CAP", r.code(), r::toString);
    assertEquals(429, r.kind().httpStatus);
    assertEquals("3", r.details().get("used"));

    guard.release(reserved);
    assertNull(guard.check(limitOrder(id(), "inv-5", "BTCUSDT", Side.BUY, "1", "99.00")), "the released reservation left the count");
    assertEquals("NODE_OPEN_ORDER_CAP", guard.check(limitOrder(id(), "inv-6", "BTCUSDT", Side.BUY, "1", "99.00")).code());
  }

  @Test
  void theNodeOrderRateCountsEveryStrategyInTheSecondAndResetsNextSecond() {
    nodeBook(1000, 3, 1000);
    for (int i = 0; i < 3; i++) assertNull(guard.check(marketOrder(id(), "rate-" + i, "BTCUSDT", Side.BUY, "0.1")));
    Rejection r = guard.check(marketOrder(id(), "rate-9", "BTCUSDT", Side.BUY, "0.1"));
    assertEquals("NODE_RATE_LIMIT", r.code(), r::toString);
    assertEquals(429, r.kind().httpStatus);
    clock.set(T0.plusSeconds(1));
    assertNull(guard.check(marketOrder(id(), "rate-9", "BTCUSDT", Side.BUY, "0.1")));
  }

  @Test
  void aNewStrategyNamePastMaxStrategiesIs422AndKnownOnesStillTradeAcrossARestart() {
    RiskBook b = nodeBook(1000, 1000, 2);
    placed(limitOrder(id(), "known-1", "BTCUSDT", Side.BUY, "1", "99.00"));
    OrderRequest second = limitOrder(id(), "known-2", "BTCUSDT", Side.BUY, "1", "99.00");
    assertNull(guard.check(second), "a reserved new name counts before the ledger folds it");
    Rejection r = guard.check(limitOrder(id(), "new-3", "BTCUSDT", Side.BUY, "1", "99.00"));
    assertEquals("TOO_MANY_STRATEGIES", r.code(), r::toString);
    assertEquals(422, r.kind().httpStatus);
    assertEquals("strategy", r.field());
    guard.release(second);
    assertNull(guard.check(limitOrder(id(), "new-3", "BTCUSDT", Side.BUY, "1", "99.00")), "the released name left the count");
    journaled(limitOrder("journaled-" + ids, "new-3", "BTCUSDT", Side.BUY, "1", "99.00"));

    nodeBook(1000, 1000, 2);
    assertNull(guard.check(limitOrder(id(), "known-1", "BTCUSDT", Side.BUY, "1", "99.00")), "known after the restart");
    assertEquals("TOO_MANY_STRATEGIES", guard.check(limitOrder(id(), "known-2", "BTCUSDT", Side.BUY, "1", "99.00")).code(),
        "the ledger kept both names through the restart");
    assertNotNull(b);
  }

  @Test
  void shadowOrdersTakeTheirSlotInBothOrderRatesButReserveNothing() {
    RiskBook b = nodeBook(1, 4, 1000);
    limit(Limit.MAX_ORDERS_PER_SECOND_PER_STRATEGY, "2");
    OrderGuard shadow = b.shadowGuard();
    assertNull(shadow.check(limitOrder(id(), "sh", "BTCUSDT", Side.BUY, "1", "99.00")));
    assertNull(shadow.check(limitOrder(id(), "sh", "BTCUSDT", Side.BUY, "1", "99.00")), "past the node's open cap of 1: nothing reserved");
    assertHit(shadow.check(limitOrder(id(), "sh", "BTCUSDT", Side.BUY, "1", "99.00")), Rejection.Kind.TOO_MANY,
        "maxOrdersPerSecondPerStrategy", "0");
    assertHit(guard.check(limitOrder(id(), "sh", "BTCUSDT", Side.BUY, "1", "99.00")), Rejection.Kind.TOO_MANY,
        "maxOrdersPerSecondPerStrategy", "0");
    assertNull(shadow.check(limitOrder(id(), "sh-2", "BTCUSDT", Side.BUY, "1", "99.00")));
    assertNull(guard.check(limitOrder(id(), "real", "BTCUSDT", Side.BUY, "1", "99.00")), "the one open slot is still free");
    assertEquals("NODE_RATE_LIMIT", shadow.check(limitOrder(id(), "sh-3", "BTCUSDT", Side.BUY, "1", "99.00")).code());
    assertNull(b.dryRunGuard().check(limitOrder(id(), "synthetic", "BTCUSDT", Side.BUY, "1", "99.00")),
        "the executor's own orders pass a full node");
  }

  @Test
  void beforeRecoveryEveryOrderIsRefusedAsUnavailable() {
    RiskBook cold = new RiskBook(clock, MARKET, RiskFixtures.DEFAULTS, Duration.ofSeconds(15), RiskFixtures.NODE);
    assertEquals(Rejection.Kind.UNAVAILABLE, cold.guard().check(marketOrder(id(), "alpha", "BTCUSDT", Side.BUY, "1")).kind());
  }
}
