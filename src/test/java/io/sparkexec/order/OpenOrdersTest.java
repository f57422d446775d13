package io.sparkexec.order;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class OpenOrdersTest {

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("OpenOrdersTest").build();

  static final Instant T0 = Instant.parse("2026-01-02T00:00:00Z");

  static Order order(String id, String symbol, String strategy, long acceptedSecond) {
    return Order.accepted(new OrderEntity.OrderAccepted(id, symbol, Side.BUY, OrderType.LIMIT, TimeInForce.GTC, BigDecimal.ONE,
        BigDecimal.TEN, strategy, null, T0, T0.plusSeconds(acceptedSecond)));
  }

  static Order acked(Order o) {
    return o.apply(new OrderEntity.OrderAcknowledged("V-" + o.clientOrderId(), T0, T0));
  }

  static Order canceled(Order o) {
    return o.apply(new OrderEntity.OrderCanceled("canceled by client", T0));
  }

  private List<Order> query(ActorRef<OpenOrders.Command> openOrders, String symbol, String strategy) {
    TestProbe<OpenOrders.Listing> probe = testKit.createTestProbe();
    openOrders.tell(new OpenOrders.Query(symbol, strategy, probe.ref()));
    return probe.receiveMessage().orders();
  }

  @Test
  void upsertAddsAndReplacesAndFinalRemoves() {
    ActorRef<OpenOrders.Command> oo = testKit.spawn(OpenOrders.create());
    Order a = order("a", "BTCUSDT", "s1", 1);
    oo.tell(new OpenOrders.Upsert(a));
    assertEquals(List.of(a), query(oo, null, null));

    Order aAcked = acked(a);
    oo.tell(new OpenOrders.Upsert(aAcked));
    assertEquals(List.of(aAcked), query(oo, null, null));

    oo.tell(new OpenOrders.Upsert(canceled(aAcked)));
    assertEquals(List.of(), query(oo, null, null));
  }

  @Test
  void olderUpdateIsIgnored() {
    ActorRef<OpenOrders.Command> oo = testKit.spawn(OpenOrders.create());
    Order a = order("a", "BTCUSDT", "s1", 1);
    Order aAcked = acked(a);
    oo.tell(new OpenOrders.Upsert(aAcked));
    oo.tell(new OpenOrders.Upsert(a));
    assertEquals(List.of(aAcked), query(oo, null, null));
    // an update of the same version does not replace either
    Order sameVersionOther = a.apply(new OrderEntity.OrderAcknowledged("OTHER", T0, T0));
    oo.tell(new OpenOrders.Upsert(sameVersionOther));
    assertEquals("V-a", query(oo, null, null).get(0).venueOrderId());
  }

  @Test
  void finalOrderIsNotReopenedByALateOlderUpdate() {
    ActorRef<OpenOrders.Command> oo = testKit.spawn(OpenOrders.create());
    Order a = order("a", "BTCUSDT", "s1", 1);
    Order aAcked = acked(a);
    oo.tell(new OpenOrders.Upsert(canceled(aAcked)));
    // the start-up scan delivers older states after the live final one
    oo.tell(new OpenOrders.Upsert(a));
    oo.tell(new OpenOrders.Upsert(aAcked));
    assertEquals(List.of(), query(oo, null, null));
    // a newer (late fill) update on the closed order stays closed too: it is final
    Order lateFill = canceled(aAcked).apply(new OrderEntity.OrderFilled(
        new io.sparkexec.venue.Venue.Fill("t1", BigDecimal.TEN, BigDecimal.ONE, BigDecimal.ZERO, "USDT", T0)));
    oo.tell(new OpenOrders.Upsert(lateFill));
    assertEquals(List.of(), query(oo, null, null));
  }

  @Test
  void queryFiltersBySymbolAndStrategyAndSortsByAcceptedTime() {
    ActorRef<OpenOrders.Command> oo = testKit.spawn(OpenOrders.create());
    Order late = order("late", "BTCUSDT", "s1", 30);
    Order early = order("early", "BTCUSDT", "s2", 10);
    Order mid = order("mid", "ETHUSDT", "s1", 20);
    Order tieB = order("tie-b", "ETHUSDT", null, 40);
    Order tieA = order("tie-a", "ETHUSDT", null, 40);
    for (Order o : List.of(late, early, mid, tieB, tieA)) oo.tell(new OpenOrders.Upsert(o));

    assertEquals(List.of(early, mid, late, tieA, tieB), query(oo, null, null));
    assertEquals(List.of(early, late), query(oo, "BTCUSDT", null));
    assertEquals(List.of(mid, late), query(oo, null, "s1"));
    assertEquals(List.of(late), query(oo, "BTCUSDT", "s1"));
    assertEquals(List.of(), query(oo, "SOLUSDT", null));
  }
}
