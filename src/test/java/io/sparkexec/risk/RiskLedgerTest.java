package io.sparkexec.risk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.order.OrderDesk;
import io.sparkexec.venue.OrderSpec;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import io.sparkexec.venue.Venue;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
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

@ExtendWith(TestKitJUnit5Extension.class)
class RiskLedgerTest {

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("RiskLedgerTest").withCustomConfig(RiskFixtures.KIT_CONFIG).build();

  static final Instant DAY1 = Instant.parse("2026-03-01T23:59:00Z");
  static final Instant DAY2 = Instant.parse("2026-03-02T00:01:00Z");

  final List<RiskLedger.State> published = new ArrayList<>();
  EventSourcedBehaviorTestKit<RiskLedger.Command, RiskLedger.Event, RiskLedger.Ledger> kit;
  long offset;

  @BeforeEach
  void fresh() {
    // snapshot every 3 events: the restart tests recover from a snapshot plus events
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), RiskLedger.create(new RiskLedger.Deps(3, new Object(), (s, facts) -> { }, s -> published.add(s.snapshot()))),
        // the state is folded in place and never serialized itself: its snapshot form is (restart tests)
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyState(false));
    kit.clear();
    kit.restart();
    offset = 0;
  }

  static OrderDesk.OrderAccepted accepted(String id, String strategy, String symbol, Side side, String qty, String price, Instant at) {
    return new OrderDesk.OrderAccepted(id, new OrderSpec(symbol, side, price == null ? OrderType.MARKET : OrderType.LIMIT, TimeInForce.GTC, new BigDecimal(qty), price == null ? null : new BigDecimal(price), strategy), new BigDecimal("100"), at, at);
  }

  static OrderDesk.OrderFilled filled(String qty) {
    return new OrderDesk.OrderFilled("a1", "alpha", new Venue.Fill("t-" + qty, new BigDecimal("100"), new BigDecimal(qty), BigDecimal.ZERO, "USDT", DAY1));
  }

  /** Folds order events as the projection does: each with the next offset of the tag stream. */
  RiskLedger.Ledger apply(Object... idAndEvent) {
    List<RiskLedger.Entry> entries = new ArrayList<>();
    for (int i = 0; i < idAndEvent.length; i += 2) entries.add(new RiskLedger.Entry(++offset, RiskLedger.factOf((String) idAndEvent[i], idAndEvent[i + 1])));
    kit.<Done>runCommand(replyTo -> new RiskLedger.Apply(entries, replyTo));
    return kit.getState();
  }

  @Test
  void positionsAreNetFilledQuantityPerStrategyAndSymbol() {
    RiskLedger.Ledger s = apply(
        "a1", accepted("a1", "alpha", "BTCUSDT", Side.BUY, "2", "100", DAY1),
        "a1", filled("1.5"),
        "a2", accepted("a2", "alpha", "BTCUSDT", Side.SELL, "0.5", null, DAY1),
        "a2", filled("0.5"),
        "b1", accepted("b1", "beta", "BTCUSDT", Side.SELL, "1", "100", DAY1),
        "b1", filled("1"),
        "n1", accepted("n1", null, "ETHUSDT", Side.BUY, "3", "100", DAY1),
        "n1", filled("3"));

    assertEquals(0, new BigDecimal("1.0").compareTo(s.position("alpha", "BTCUSDT")));
    assertEquals(0, new BigDecimal("-1").compareTo(s.position("beta", "BTCUSDT")));
    assertEquals(0, new BigDecimal("3").compareTo(s.position(RiskLedger.NO_STRATEGY, "ETHUSDT")));
    assertEquals(0, BigDecimal.ZERO.compareTo(s.position("alpha", "ETHUSDT")));
    assertEquals(Map.of("a1", new RiskLedger.OpenOrder("alpha", "BTCUSDT", Side.BUY, new BigDecimal("0.5"))), s.open(),
        "filled orders leave the open set; the partly filled one keeps its remaining quantity");
  }

  @Test
  void closedOrdersLeaveTheOpenSetAndTrailingFillsStillCount() {
    apply("a1", accepted("a1", "alpha", "BTCUSDT", Side.BUY, "2", "100", DAY1),
        "a1", new OrderDesk.OrderCanceled("a1", "alpha", "canceled by client", DAY1));
    RiskLedger.Ledger s = apply("a1", filled("0.25"));
    assertTrue(s.open().isEmpty());
    assertEquals(0, new BigDecimal("0.25").compareTo(s.position("alpha", "BTCUSDT")));
  }

  @Test
  void dailyNotionalCountsAcceptedOrdersOfTheCurrentUtcDayAndRollsOver() {
    RiskLedger.Ledger s = apply(
        "a1", accepted("a1", "alpha", "BTCUSDT", Side.BUY, "2", "100", DAY1),
        "m1", accepted("m1", "alpha", "BTCUSDT", Side.SELL, "1", null, DAY1),
        "b1", accepted("b1", "beta", "ETHUSDT", Side.BUY, "1", "50", DAY1));
    LocalDate d1 = LocalDate.parse("2026-03-01");
    assertEquals(d1, s.day());
    assertEquals(0, new BigDecimal("300").compareTo(s.symbolNotionalToday(d1, "BTCUSDT")), "LIMIT at its price, MARKET at the touch");
    assertEquals(0, new BigDecimal("300").compareTo(s.strategyNotionalToday(d1, "alpha")));
    assertEquals(0, new BigDecimal("50").compareTo(s.strategyNotionalToday(d1, "beta")));
    assertEquals(0, BigDecimal.ZERO.compareTo(s.symbolNotionalToday(d1.plusDays(1), "BTCUSDT")),
        "asked on the next day, before any order of that day: nothing used yet");

    s = apply("a2", accepted("a2", "alpha", "BTCUSDT", Side.BUY, "1", "100", DAY2),
        "late", accepted("late", "alpha", "BTCUSDT", Side.BUY, "5", "100", DAY1));
    LocalDate d2 = LocalDate.parse("2026-03-02");
    assertEquals(d2, s.day());
    assertEquals(0, new BigDecimal("100").compareTo(s.symbolNotionalToday(d2, "BTCUSDT")),
        "the new day starts from zero; an order of the past day folded late does not count for today");
    assertFalse(s.snapshot().notionalByStrategy().containsKey("beta"));
  }

  @Test
  void entriesAtOrBelowTheOffsetAreFoldedOnce() {
    apply("a1", accepted("a1", "alpha", "BTCUSDT", Side.BUY, "1", "100", DAY1), "a1", filled("1"));
    RiskLedger.Entry again = new RiskLedger.Entry(2, RiskLedger.factOf("a1", filled("1")));
    var result = kit.<Done>runCommand(replyTo -> new RiskLedger.Apply(List.of(again), replyTo));
    assertTrue(result.hasNoEvents());
    assertEquals(0, BigDecimal.ONE.compareTo(kit.getState().position("alpha", "BTCUSDT")));
    assertEquals(2, kit.getState().offset());
  }

  @Test
  void eventsTheLimitsIgnoreAreNotJournaled() {
    var result = kit.<Done>runCommand(replyTo -> new RiskLedger.Apply(List.of(new RiskLedger.Entry(1,
        RiskLedger.factOf("a1", new OrderDesk.OrderAcknowledged("a1", "alpha", "v1", DAY1, DAY1)))), replyTo));
    assertTrue(result.hasNoEvents());
  }

  @Test
  void restartKeepsPositionsDailyUsageOpenOrdersAndOffset() {
    for (int i = 0; i < 5; i++) {
      String id = "o" + i;
      apply(id, accepted(id, "alpha", "SOLUSDT", i % 2 == 0 ? Side.BUY : Side.SELL, "1." + i, "10", DAY1), id, filled("1"));
    }
    RiskLedger.State before = kit.getState().snapshot();
    published.clear();

    kit.restart();

    assertEquals(before, kit.getState().snapshot());
    assertEquals(List.of(before), published, "the recovered ledger is published for the guard");
    assertEquals(10, kit.getState().offset(), "the projection resumes after the last folded offset");
  }

  @Test
  void openCountsAndSameSideRemainingAreRunningSumsOverTheOpenOrders() {
    RiskLedger.Ledger s = apply(
        "a1", accepted("a1", "alpha", "BTCUSDT", Side.BUY, "2", "100", DAY1),
        "a2", accepted("a2", "alpha", "BTCUSDT", Side.BUY, "3", "100", DAY1),
        "a3", accepted("a3", "alpha", "BTCUSDT", Side.SELL, "1", "100", DAY1),
        "b1", accepted("b1", "beta", "BTCUSDT", Side.BUY, "7", "100", DAY1),
        "a1", filled("0.5"));
    assertEquals(3, s.openCount("alpha"));
    assertEquals(new RiskLedger.Exposure(new BigDecimal("0.5"), new BigDecimal("4.5")), s.exposure("alpha", "BTCUSDT", Side.BUY),
        "a partial fill moves the position and takes its quantity off what the order may still add");
    assertEquals(0, BigDecimal.ONE.compareTo(s.exposure("alpha", "BTCUSDT", Side.SELL).openSameSide()));

    s = apply("a2", new OrderDesk.OrderCanceled("a2", "alpha", "canceled by client", DAY1), "a1", filled("1.5"));
    assertEquals(1, s.openCount("alpha"), "canceled and fully filled orders are no longer counted");
    assertEquals(0, BigDecimal.ZERO.compareTo(s.exposure("alpha", "BTCUSDT", Side.BUY).openSameSide()));
    assertEquals(0, new BigDecimal("2").compareTo(s.position("alpha", "BTCUSDT")));
    assertTrue(s.counted("a2"), "a closed order is remembered: its retry adds no exposure");
    assertEquals(1, s.openCount("beta"));
    assertFalse(s.counted("never"));
  }

  @Test
  void everyStrategyAnAcceptedOrderNamedIsKnownForGoodAndASnapshotFromBeforeTheSetDerivesIt() {
    RiskLedger.Ledger s = apply(
        "a1", accepted("a1", "alpha", "BTCUSDT", Side.BUY, "1", "100", DAY1),
        "b1", accepted("b1", "beta", "BTCUSDT", Side.BUY, "1", "100", DAY1),
        "b1", new OrderDesk.OrderCanceled("b1", "beta", "canceled by client", DAY1));
    assertEquals(2, s.strategyCount());
    assertTrue(s.knows("beta"), "no open order, no position: still known");
    assertEquals(1, s.openTotal());

    RiskLedger.State now = s.snapshot();
    RiskLedger.State older = new RiskLedger.State(now.offset(), now.day(), now.notionalBySymbol(), now.notionalByStrategy(), now.positions(),
        now.open(), now.recentlyClosed(), null);
    RiskLedger.Ledger loaded = RiskLedger.Ledger.of(older);
    assertTrue(loaded.knows("alpha") && loaded.knows("beta"), "from the day's notional and the open orders");
    assertEquals(1, loaded.openTotal());
  }

  @Test
  void replayOfTheJournalAloneGivesTheSameLedger() {
    var journalOnly = EventSourcedBehaviorTestKit.<RiskLedger.Command, RiskLedger.Event, RiskLedger.Ledger>create(testKit.system(),
        RiskLedger.create(new RiskLedger.Deps(10_000, new Object(), (st, facts) -> { }, st -> { })),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyState(false));
    journalOnly.clear();
    kit = journalOnly;
    apply("a1", accepted("a1", "alpha", "BTCUSDT", Side.BUY, "2", "100", DAY1),
        "a2", accepted("a2", "beta", "ETHUSDT", Side.SELL, "1", null, DAY1),
        "a1", filled("0.5"),
        "a2", new OrderDesk.OrderExpired("a2", "beta", "IOC", DAY1));
    apply("a3", accepted("a3", "alpha", "BTCUSDT", Side.SELL, "1", "100", DAY2));
    RiskLedger.State before = journalOnly.getState().snapshot();

    journalOnly.restart();

    assertEquals(before, journalOnly.getState().snapshot());
    assertEquals(2, journalOnly.getState().openCount("alpha"), "a1 and a3 are open");
  }
}
