package io.sparkexec.order;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.order.Order.Status;
import io.sparkexec.venue.OrderSpec;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import io.sparkexec.venue.Venue;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pure event fold: the entity, the start-up scan and replay all depend on it. */
class OrderTest {

  static final Instant T0 = Instant.parse("2026-01-02T03:04:05Z");

  static OrderDesk.OrderAccepted accepted(String id, String quantity) {
    return new OrderDesk.OrderAccepted(id, new OrderSpec("BTCUSDT", Side.BUY, OrderType.LIMIT, TimeInForce.GTC, new BigDecimal(quantity), new BigDecimal("100.00"), "s1"), new BigDecimal("100.01"), T0, T0.plusMillis(1));
  }

  static Venue.Fill fill(String tradeId, String price, String quantity, Instant at) {
    return new Venue.Fill(tradeId, new BigDecimal(price), new BigDecimal(quantity), new BigDecimal("0.01"), "USDT", at);
  }

  @Test
  void acceptedStartsAtVersionOneWithNothingExecuted() {
    Order o = Order.accepted(accepted("c1", "2"));
    assertEquals(Status.ACCEPTED, o.status());
    assertEquals(1, o.version());
    assertEquals(BigDecimal.ZERO, o.executedQty());
    assertEquals(BigDecimal.ZERO, o.cumQuoteQty());
    assertEquals(List.of(), o.fills());
    assertNull(o.venueOrderId());
    assertFalse(o.acknowledgedByVenue());
    assertEquals(new Order.Timestamps(T0, T0.plusMillis(1), null, null, null, null, null), o.timestamps());
    assertEquals(new BigDecimal("100.01"), o.decisionPrice());
    assertEquals(new BigDecimal("2"), o.remainingQty());
  }

  @Test
  void acknowledgedSetsVenueIdAndTimes() {
    Order o = Order.accepted(accepted("c1", "2")).apply(new OrderDesk.OrderAcknowledged("c1", "s1", "V1", T0.plusMillis(2), T0.plusMillis(3)));
    assertEquals(Status.ACKNOWLEDGED, o.status());
    assertEquals("V1", o.venueOrderId());
    assertTrue(o.acknowledgedByVenue());
    assertEquals(T0.plusMillis(2), o.timestamps().sent());
    assertEquals(T0.plusMillis(3), o.timestamps().acknowledged());
    assertEquals(2, o.version());
  }

  @Test
  void inDoubtIsOpenAndShowsWhyUntilTheAckSettlesIt() {
    Order doubt = Order.accepted(accepted("c1", "2")).apply(new OrderDesk.OrderInDoubt("c1", "s1", "submit outcome unknown: timeout", T0.plusMillis(2)));
    assertEquals(Status.IN_DOUBT, doubt.status());
    assertFalse(doubt.status().isFinal());
    assertEquals("submit outcome unknown: timeout", doubt.reason());
    assertEquals(2, doubt.version());
    Order acked = doubt.apply(new OrderDesk.OrderAcknowledged("c1", "s1", "V1", null, T0.plusMillis(3)));
    assertEquals(Status.ACKNOWLEDGED, acked.status());
    assertNull(acked.reason());
    Order rejected = doubt.apply(new OrderDesk.OrderRejected("c1", "s1", "venue outcome unknown after 30 checks", "executor", T0.plusSeconds(30)));
    assertEquals(Status.REJECTED, rejected.status());
    assertEquals("venue outcome unknown after 30 checks", rejected.reason());
  }

  @Test
  void partialThenFullFillAccumulatesQuantitiesAndCloses() {
    Order o = Order.accepted(accepted("c1", "2")).apply(new OrderDesk.OrderAcknowledged("c1", "s1", "V1", T0, T0));
    Order partial = o.apply(new OrderDesk.OrderFilled("c1", "s1", fill("t1", "100.00", "0.5", T0.plusSeconds(1))));
    assertEquals(Status.PARTIALLY_FILLED, partial.status());
    assertEquals(0, new BigDecimal("0.5").compareTo(partial.executedQty()));
    assertEquals(0, new BigDecimal("50.000").compareTo(partial.cumQuoteQty()));
    assertEquals(T0.plusSeconds(1), partial.timestamps().firstFill());
    assertEquals(T0.plusSeconds(1), partial.timestamps().lastFill());
    assertNull(partial.timestamps().closed());
    assertTrue(partial.hasFill("t1"));
    assertFalse(partial.hasFill("t2"));
    assertEquals(3, partial.version());

    Order full = partial.apply(new OrderDesk.OrderFilled("c1", "s1", fill("t2", "99.50", "1.5", T0.plusSeconds(2))));
    assertEquals(Status.FILLED, full.status());
    assertEquals(0, new BigDecimal("2").compareTo(full.executedQty()));
    // 0.5 x 100.00 + 1.5 x 99.50
    assertEquals(0, new BigDecimal("199.25").compareTo(full.cumQuoteQty()));
    assertEquals(T0.plusSeconds(1), full.timestamps().firstFill());
    assertEquals(T0.plusSeconds(2), full.timestamps().lastFill());
    assertEquals(T0.plusSeconds(2), full.timestamps().closed());
    assertEquals(List.of("t1", "t2"), full.fills().stream().map(Venue.Fill::tradeId).toList());
    assertEquals(0, full.remainingQty().signum());
    assertEquals(4, full.version());
  }

  @Test
  void fillStraightFromAcceptedMovesOn() {
    Order o = Order.accepted(accepted("c1", "1")).apply(new OrderDesk.OrderFilled("c1", "s1", fill("t1", "100", "1", T0)));
    assertEquals(Status.FILLED, o.status());
  }

  @Test
  void finalEventsCloseWithReasonAndTime() {
    Order open = Order.accepted(accepted("c1", "2")).apply(new OrderDesk.OrderAcknowledged("c1", "s1", "V1", T0, T0));
    Order canceled = open.apply(new OrderDesk.OrderCanceled("c1", "s1", "canceled by client", T0.plusSeconds(5)));
    assertEquals(Status.CANCELED, canceled.status());
    assertEquals("canceled by client", canceled.reason());
    assertEquals(T0.plusSeconds(5), canceled.timestamps().closed());
    assertEquals(3, canceled.version());

    Order rejected = Order.accepted(accepted("c2", "2")).apply(new OrderDesk.OrderRejected("c1", "s1", "MIN_QTY", "venue", T0.plusSeconds(6)));
    assertEquals(Status.REJECTED, rejected.status());
    assertEquals("MIN_QTY", rejected.reason());
    assertEquals(T0.plusSeconds(6), rejected.timestamps().closed());

    Order expired = open.apply(new OrderDesk.OrderExpired("c1", "s1", "no liquidity for IOC", T0.plusSeconds(7)));
    assertEquals(Status.EXPIRED, expired.status());
    assertEquals(T0.plusSeconds(7), expired.timestamps().closed());
  }

  @Test
  void lateFillOnFinalOrderCountsButKeepsStatusAndCloseTime() {
    Order canceled = Order.accepted(accepted("c1", "2"))
        .apply(new OrderDesk.OrderAcknowledged("c1", "s1", "V1", T0, T0))
        .apply(new OrderDesk.OrderCanceled("c1", "s1", "canceled by client", T0.plusSeconds(1)));
    Order late = canceled.apply(new OrderDesk.OrderFilled("c1", "s1", fill("t9", "100", "2", T0.plusSeconds(2))));
    assertEquals(Status.CANCELED, late.status());
    assertEquals(0, new BigDecimal("2").compareTo(late.executedQty()));
    assertEquals(T0.plusSeconds(1), late.timestamps().closed());
    assertEquals(T0.plusSeconds(2), late.timestamps().lastFill());
    assertEquals(4, late.version());
  }

  @Test
  void ackAfterAFinalStateKeepsTheFinalStatus() {
    Order rejected = Order.accepted(accepted("c1", "2")).apply(new OrderDesk.OrderRejected("c1", "s1", "unknown", "executor", T0));
    Order acked = rejected.apply(new OrderDesk.OrderAcknowledged("c1", "s1", "V1", null, T0.plusSeconds(1)));
    assertEquals(Status.REJECTED, acked.status());
    assertEquals("V1", acked.venueOrderId());
  }

  @Test
  void acceptedEventIsNotReapplied() {
    Order o = Order.accepted(accepted("c1", "2"));
    assertSame(o, o.apply(accepted("c1", "2")));
  }

  @Test
  void foldIsDeterministic() {
    List<OrderDesk.Event> events = List.of(
        new OrderDesk.OrderAcknowledged("c1", "s1", "V1", T0, T0),
        new OrderDesk.OrderFilled("c1", "s1", fill("t1", "100", "0.5", T0)),
        new OrderDesk.OrderCanceled("c1", "s1", "canceled by venue", T0));
    Order a = Order.accepted(accepted("c1", "2"));
    Order b = Order.accepted(accepted("c1", "2"));
    for (OrderDesk.Event e : events) {
      a = a.apply(e);
      b = b.apply(e);
    }
    assertEquals(a, b);
    assertEquals(Status.CANCELED, a.status());
  }

  @Test
  void statusFinality() {
    for (Status s : Status.values()) {
      boolean expected = s == Status.FILLED || s == Status.CANCELED || s == Status.REJECTED || s == Status.EXPIRED;
      assertEquals(expected, s.isFinal(), s.name());
    }
  }

  @Test
  void theOrderCarriesTheSpecItWasPlacedWith() {
    Order o = Order.accepted(accepted("c1", "2"));
    assertEquals("c1", o.clientOrderId());
    assertTrue(o.spec().sameAs(new OrderRequest("x", "BTCUSDT", Side.BUY, OrderType.LIMIT, TimeInForce.GTC, new BigDecimal("2.0"),
        new BigDecimal("100"), "s1", OrderRequest.RespType.RESULT).spec()));
  }
}
