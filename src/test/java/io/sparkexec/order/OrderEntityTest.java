package io.sparkexec.order;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.batch.Batcher;
import io.sparkexec.order.Order.Status;
import io.sparkexec.order.OrderEntity.ApplyVenueReport;
import io.sparkexec.order.OrderEntity.Cancel;
import io.sparkexec.order.OrderEntity.Closed;
import io.sparkexec.order.OrderEntity.Command;
import io.sparkexec.order.OrderEntity.Conflict;
import io.sparkexec.order.OrderEntity.Event;
import io.sparkexec.order.OrderEntity.Found;
import io.sparkexec.order.OrderEntity.Get;
import io.sparkexec.order.OrderEntity.NotOpen;
import io.sparkexec.order.OrderEntity.Open;
import io.sparkexec.order.OrderEntity.OrderAccepted;
import io.sparkexec.order.OrderEntity.OrderAcknowledged;
import io.sparkexec.order.OrderEntity.OrderCanceled;
import io.sparkexec.order.OrderEntity.OrderExpired;
import io.sparkexec.order.OrderEntity.OrderFilled;
import io.sparkexec.order.OrderEntity.OrderInDoubt;
import io.sparkexec.order.OrderEntity.OrderRejected;
import io.sparkexec.order.OrderEntity.Place;
import io.sparkexec.order.OrderEntity.Reply;
import io.sparkexec.order.OrderEntity.State;
import io.sparkexec.order.OrderRequest.RespType;
import io.sparkexec.venue.FakeVenue;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import io.sparkexec.venue.Venue;
import io.sparkexec.venue.Venue.VenueStatus;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class OrderEntityTest {

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withName("OrderEntityTest")
      .withCustomConfig(EventSourcedBehaviorTestKit.config().withFallback(ActorTestKit.applicationTestConfig()))
      .build();

  static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  static final Instant RECEIVED = NOW.minusMillis(5);
  static final Instant SENT = NOW.minusMillis(2);
  static final BigDecimal QTY = new BigDecimal("2");
  static final BigDecimal PRICE = new BigDecimal("100.00");
  private static final AtomicInteger ids = new AtomicInteger();

  /** One entity under test with its own probes and fake venue. */
  final class Fixture {
    final String id = "ord-" + ids.incrementAndGet();
    final FakeVenue venue = new FakeVenue().withQuote("BTCUSDT", "99.90", "100.10");
    final TestProbe<Batcher.Command> batcher = testKit.createTestProbe();
    final TestProbe<OpenOrders.Command> openOrders = testKit.createTestProbe();
    final TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
    final TestProbe<Reply> client = testKit.createTestProbe();
    final OrderEntity.Deps deps;
    final EventSourcedBehaviorTestKit<Command, Event, State> kit;

    Fixture() {
      this(20);
    }

    Fixture(int maxChecks) {
      this(maxChecks, true);
    }

    /** Without the behavior test kit, for an entity the test spawns itself. Checks in doubt at once (interval zero). */
    Fixture(int maxChecks, boolean withKit) {
      deps = new OrderEntity.Deps(venue, symbol -> batcher.ref(), venue, openOrders.ref(), new VenueChecks(venue, 4), CLOCK,
          new OrderEntity.InDoubt(Duration.ZERO, maxChecks));
      kit = withKit ? EventSourcedBehaviorTestKit.create(testKit.system(), behavior()) : null;
    }

    Behavior<Command> behavior() {
      return OrderEntity.create(id, deps, shard.ref());
    }

    OrderRequest request(RespType respType) {
      return new OrderRequest(id, "BTCUSDT", Side.BUY, OrderType.LIMIT, TimeInForce.GTC, QTY, PRICE, "s1", respType);
    }

    OrderAccepted acceptedEvent() {
      return new OrderAccepted(id, "BTCUSDT", Side.BUY, OrderType.LIMIT, TimeInForce.GTC, QTY, PRICE, "s1", new BigDecimal("100.10"),
          RECEIVED, NOW);
    }

    /** Places the order (answering {@link #client}) and takes the submit the batcher got. */
    Batcher.Submit place(RespType respType) {
      var result = kit.runCommand(new Place(request(respType), RECEIVED, client.ref()));
      assertEquals(List.of(acceptedEvent()), result.events());
      assertEquals(Status.ACCEPTED, result.stateOfType(Open.class).order().status());
      assertEquals(Status.ACCEPTED, upserted().status());
      return expectSubmit(QTY);
    }

    Batcher.Submit expectSubmit(BigDecimal quantity) {
      Batcher.Submit submit = batcher.expectMessageClass(Batcher.Submit.class);
      assertEquals(new Venue.VenueOrder(id, "BTCUSDT", Side.BUY, OrderType.LIMIT, TimeInForce.GTC, quantity, PRICE), submit.order());
      return submit;
    }

    /** Places and has the venue acknowledge the order with nothing filled. */
    void placeAndAck() {
      Batcher.Submit submit = place(RespType.ACKNOWLEDGED);
      answer(submit, new Venue.Acknowledged(report(VenueStatus.NEW)));
      assertEquals(Status.ACKNOWLEDGED, foundOn(client).status());
      assertEquals(Status.ACKNOWLEDGED, upserted().status());
    }

    void answer(Batcher.Submit submit, Venue.SubmitResult result) {
      // the way the batcher answers: through the entity's message adapter
      submit.replyTo().tell(new Batcher.Outcome(SENT, result));
    }

    Venue.VenueOrderReport report(VenueStatus status, Venue.Fill... fills) {
      return new Venue.VenueOrderReport(id, "V-1", "BTCUSDT", status, List.of(fills), null, NOW);
    }

    List<Object> journal() {
      return kit.persistenceTestKit().persistedInStorage(PersistenceId.of(OrderEntity.ENTITY_KEY.name(), id).id());
    }

    Order order() {
      State s = kit.getState();
      if (s instanceof Open o) return o.order();
      if (s instanceof Closed c) return c.order();
      throw new AssertionError("no order in " + s);
    }

    Order upserted() {
      return openOrders.expectMessageClass(OpenOrders.Upsert.class).order();
    }

    void expectPassivate() {
      shard.expectMessageClass(ClusterSharding.Passivate.class);
    }
  }

  static Venue.Fill fill(String tradeId, String quantity) {
    return new Venue.Fill(tradeId, new BigDecimal("100.00"), new BigDecimal(quantity), new BigDecimal("0.1"), "USDT", NOW);
  }

  static Order foundOn(TestProbe<Reply> probe) {
    return assertInstanceOf(Found.class, probe.receiveMessage()).order();
  }

  private static OrderAcknowledged ack(Instant sentAt) {
    return new OrderAcknowledged("V-1", sentAt, NOW);
  }

  // ---- Empty ----

  @Test
  void getAndCancelOfUnknownOrderAnswerNotFoundAndPassivate() {
    Fixture f = new Fixture();
    var get = f.kit.<Reply>runCommand(Get::new);
    assertEquals(OrderEntity.NotFound.INSTANCE, get.reply());
    assertTrue(get.hasNoEvents());
    assertEquals(OrderEntity.Empty.INSTANCE, get.state());
    f.expectPassivate();

    var cancel = f.kit.<Reply>runCommand(Cancel::new);
    assertEquals(OrderEntity.NotFound.INSTANCE, cancel.reply());
    assertTrue(cancel.hasNoEvents());
    f.expectPassivate();
  }

  @Test
  void venueReportForUnknownOrderIsIgnoredAndPassivates() {
    Fixture f = new Fixture();
    var result = f.kit.runCommand(new ApplyVenueReport(f.report(VenueStatus.FILLED, fill("t1", "2"))));
    assertTrue(result.hasNoEvents());
    assertEquals(OrderEntity.Empty.INSTANCE, result.state());
    f.expectPassivate();
  }

  // ---- Place ----

  @Test
  void placeJournalsAcceptedSubmitsAndAnswersOnAck() {
    Fixture f = new Fixture();
    Batcher.Submit submit = f.place(RespType.ACKNOWLEDGED);
    f.answer(submit, new Venue.Acknowledged(f.report(VenueStatus.NEW)));
    // the first answer is the acknowledged order: nothing was sent while it was only accepted
    Order answered = foundOn(f.client);
    assertEquals(Status.ACKNOWLEDGED, answered.status());
    assertEquals("V-1", answered.venueOrderId());
    assertEquals(SENT, answered.timestamps().sent());
    assertEquals(NOW, answered.timestamps().acknowledged());
    assertEquals(List.of(f.acceptedEvent(), ack(SENT)), f.journal());
    assertEquals(new Open(answered), f.kit.getState());
    assertEquals(answered, f.upserted());
  }

  @Test
  void placeWithRespTypeAcceptedAnswersOnceJournaled() {
    Fixture f = new Fixture();
    f.place(RespType.ACCEPTED);
    Order answered = foundOn(f.client);
    assertEquals(Status.ACCEPTED, answered.status());
    assertEquals(RECEIVED, answered.timestamps().received());
    assertEquals(NOW, answered.timestamps().accepted());
    assertEquals(new BigDecimal("100.10"), answered.decisionPrice());
  }

  @Test
  void placeWithRespTypeResultAnswersOnlyWhenFinal() {
    Fixture f = new Fixture();
    Batcher.Submit submit = f.place(RespType.RESULT);
    f.answer(submit, new Venue.Acknowledged(f.report(VenueStatus.PARTIALLY_FILLED, fill("t1", "0.5"))));
    assertEquals(Status.PARTIALLY_FILLED, f.upserted().status());
    f.kit.runCommand(new ApplyVenueReport(f.report(VenueStatus.FILLED, fill("t1", "0.5"), fill("t2", "1.5"))));
    Order answered = foundOn(f.client);
    assertEquals(Status.FILLED, answered.status());
    assertEquals(0, QTY.compareTo(answered.executedQty()));
  }

  @ParameterizedTest
  @EnumSource(RespType.class)
  void placeAgainWithSameBodyWhileUnacknowledgedWaitsForItsOwnRespType(RespType respType) {
    Fixture f = new Fixture();
    Batcher.Submit submit = f.place(RespType.RESULT);
    TestProbe<Reply> again = testKit.createTestProbe();
    // same order, price written differently: not a conflict
    OrderRequest same = new OrderRequest(f.id, "BTCUSDT", Side.BUY, OrderType.LIMIT, TimeInForce.GTC, new BigDecimal("2.000"),
        new BigDecimal("100.0"), "s1", respType);
    var result = f.kit.runCommand(new Place(same, RECEIVED, again.ref()));
    assertTrue(result.hasNoEvents());

    f.answer(submit, new Venue.Acknowledged(f.report(VenueStatus.NEW)));
    f.upserted();
    f.kit.runCommand(new ApplyVenueReport(f.report(VenueStatus.FILLED, fill("t1", "2"))));
    Status expectedFirst = switch (respType) {
      case ACCEPTED -> Status.ACCEPTED;
      case ACKNOWLEDGED -> Status.ACKNOWLEDGED;
      case RESULT -> Status.FILLED;
    };
    assertEquals(expectedFirst, foundOn(again).status());
    assertEquals(Status.FILLED, foundOn(f.client).status());
    assertEquals(List.of(f.acceptedEvent(), ack(SENT), new OrderFilled(fill("t1", "2"))), f.journal());
  }

  @Test
  void placeAgainWithAnotherBodyIsAConflictWhileOpenAndWhenClosed() {
    Fixture f = new Fixture();
    f.place(RespType.ACCEPTED);
    Order open = foundOn(f.client);
    OrderRequest other = new OrderRequest(f.id, "BTCUSDT", Side.BUY, OrderType.LIMIT, TimeInForce.GTC, new BigDecimal("3"), PRICE, "s1",
        RespType.ACCEPTED);
    var conflict = f.kit.<Reply>runCommand(replyTo -> new Place(other, RECEIVED, replyTo));
    assertEquals(new Conflict(open), conflict.reply());
    assertTrue(conflict.hasNoEvents());

    f.kit.runCommand(new ApplyVenueReport(f.report(VenueStatus.CANCELED)));
    Order closed = f.order();
    assertEquals(Status.CANCELED, closed.status());
    assertEquals(new Conflict(closed), f.kit.<Reply>runCommand(replyTo -> new Place(other, RECEIVED, replyTo)).reply());
  }

  @ParameterizedTest
  @EnumSource(RespType.class)
  void placeAgainOfAClosedOrderAnswersTheFinalStateAtOnce(RespType respType) {
    Fixture f = new Fixture();
    Batcher.Submit submit = f.place(RespType.ACCEPTED);
    foundOn(f.client);
    f.answer(submit, new Venue.Refused(f.id, "MIN_NOTIONAL: too small"));
    assertEquals(Status.REJECTED, f.upserted().status());
    var again = f.kit.<Reply>runCommand(replyTo -> new Place(f.request(respType), RECEIVED, replyTo));
    assertEquals(Status.REJECTED, assertInstanceOf(Found.class, again.reply()).order().status());
    assertTrue(again.hasNoEvents());
  }

  // ---- Get ----

  @Test
  void getAnswersCurrentOrderWhenOpenAndClosed() {
    Fixture f = new Fixture();
    f.placeAndAck();
    assertEquals(new Found(f.order()), f.kit.<Reply>runCommand(Get::new).reply());
    f.kit.runCommand(new ApplyVenueReport(f.report(VenueStatus.EXPIRED)));
    var get = f.kit.<Reply>runCommand(Get::new);
    assertEquals(Status.EXPIRED, assertInstanceOf(Found.class, get.reply()).order().status());
    assertTrue(get.hasNoEvents());
  }

  // ---- Cancel ----

  @Test
  void cancelBeforeAckIsSentToTheVenueAfterTheAck() {
    Fixture f = new Fixture();
    Batcher.Submit submit = f.place(RespType.ACCEPTED);
    foundOn(f.client);
    TestProbe<Reply> canceller = testKit.createTestProbe();
    var result = f.kit.runCommand(new Cancel(canceller.ref()));
    assertTrue(result.hasNoEvents());
    assertEquals(0, f.venue.pendingCalls(), "no venue cancel before the venue knows the order");

    f.answer(submit, new Venue.Acknowledged(f.report(VenueStatus.NEW)));
    FakeVenue.CancelCall call = f.venue.expectCancel();
    assertEquals(f.id, call.clientOrderId());
    assertEquals("BTCUSDT", call.symbol());
    call.answer().complete(new Venue.Canceled(f.report(VenueStatus.CANCELED)));

    Order canceled = foundOn(canceller);
    assertEquals(Status.CANCELED, canceled.status());
    assertEquals("canceled by client", canceled.reason());
    assertEquals(List.of(f.acceptedEvent(), ack(SENT), new OrderCanceled("canceled by client", NOW)), f.journal());
    assertEquals(new Closed(canceled), f.kit.getState());
    f.expectPassivate();
  }

  @Test
  void cancelAfterAckGoesToTheVenueAtOnce() {
    Fixture f = new Fixture();
    f.placeAndAck();
    TestProbe<Reply> canceller = testKit.createTestProbe();
    f.kit.runCommand(new Cancel(canceller.ref()));
    f.venue.expectCancel().answer().complete(new Venue.Canceled(f.report(VenueStatus.CANCELED, fill("t1", "0.5"))));
    Order canceled = foundOn(canceller);
    assertEquals(Status.CANCELED, canceled.status());
    assertEquals(0, new BigDecimal("0.5").compareTo(canceled.executedQty()));
    assertEquals(List.of(f.acceptedEvent(), ack(SENT), new OrderFilled(fill("t1", "0.5")), new OrderCanceled("canceled by client", NOW)),
        f.journal());
  }

  @Test
  void cancelRefusedBecauseFilledAnswersNotOpenWithTheFills() {
    Fixture f = new Fixture();
    f.placeAndAck();
    TestProbe<Reply> canceller = testKit.createTestProbe();
    f.kit.runCommand(new Cancel(canceller.ref()));
    f.venue.expectCancel().answer().complete(new Venue.CancelRefused("order is FILLED", f.report(VenueStatus.FILLED, fill("t1", "2"))));
    Order filled = assertInstanceOf(NotOpen.class, canceller.receiveMessage()).order();
    assertEquals(Status.FILLED, filled.status());
    assertEquals(List.of(f.acceptedEvent(), ack(SENT), new OrderFilled(fill("t1", "2"))), f.journal());
  }

  @Test
  void cancelRefusedWhileStillOpenAtTheVenueAnswersAtOnceAndKeepsTheFill() {
    Fixture f = new Fixture();
    f.placeAndAck();
    TestProbe<Reply> canceller = testKit.createTestProbe();
    f.kit.runCommand(new Cancel(canceller.ref()));
    f.venue.expectCancel().answer().complete(
        new Venue.CancelRefused("cancel rejected", f.report(VenueStatus.PARTIALLY_FILLED, fill("t1", "1"))));
    // answered with the order as it was, not left waiting for a final state that is not coming
    assertEquals(Status.ACKNOWLEDGED, foundOn(canceller).status());
    // a Get is stashed until the fill is journaled
    f.kit.runCommand(new Get(canceller.ref()));
    assertEquals(Status.PARTIALLY_FILLED, foundOn(canceller).status());
    assertEquals(List.of(f.acceptedEvent(), ack(SENT), new OrderFilled(fill("t1", "1"))), f.journal());
  }

  @Test
  void cancelWithUnknownOutcomeAnswersTheOpenOrder() {
    Fixture f = new Fixture();
    f.placeAndAck();
    TestProbe<Reply> canceller = testKit.createTestProbe();
    f.kit.runCommand(new Cancel(canceller.ref()));
    f.venue.expectCancel().answer().completeExceptionally(new RuntimeException("link down"));
    assertEquals(Status.ACKNOWLEDGED, foundOn(canceller).status());
    assertEquals(2, f.journal().size());
    // a second cancel is sent again (the first is no longer in flight)
    f.kit.runCommand(new Cancel(canceller.ref()));
    f.venue.expectCancel().answer().complete(new Venue.Canceled(f.report(VenueStatus.CANCELED)));
    assertEquals(Status.CANCELED, foundOn(canceller).status());
  }

  @Test
  void cancelOfAFinalOrderIsNotOpen() {
    Fixture f = new Fixture();
    Batcher.Submit submit = f.place(RespType.ACCEPTED);
    foundOn(f.client);
    f.answer(submit, new Venue.Acknowledged(f.report(VenueStatus.FILLED, fill("t1", "2"))));
    assertEquals(Status.FILLED, f.upserted().status());
    var cancel = f.kit.<Reply>runCommand(Cancel::new);
    assertEquals(new NotOpen(f.order()), cancel.reply());
    assertTrue(cancel.hasNoEvents());
    assertEquals(0, f.venue.pendingCalls());
  }

  // ---- ApplyVenueReport ----

  @Test
  void venueReportsAddEachFillOnceByTradeId() {
    Fixture f = new Fixture();
    f.placeAndAck();
    var partial = f.kit.runCommand(new ApplyVenueReport(f.report(VenueStatus.PARTIALLY_FILLED, fill("t1", "0.5"))));
    assertEquals(List.of(new OrderFilled(fill("t1", "0.5"))), partial.events());
    assertEquals(Status.PARTIALLY_FILLED, partial.stateOfType(Open.class).order().status());
    assertEquals(Status.PARTIALLY_FILLED, f.upserted().status());

    var same = f.kit.runCommand(new ApplyVenueReport(f.report(VenueStatus.PARTIALLY_FILLED, fill("t1", "0.5"))));
    assertTrue(same.hasNoEvents());

    var full = f.kit.runCommand(new ApplyVenueReport(f.report(VenueStatus.FILLED, fill("t1", "0.5"), fill("t2", "1.5"))));
    assertEquals(List.of(new OrderFilled(fill("t2", "1.5"))), full.events());
    Order filled = full.stateOfType(Closed.class).order();
    assertEquals(Status.FILLED, filled.status());
    assertEquals(0, QTY.compareTo(filled.executedQty()));
    assertEquals(0, new BigDecimal("200.000").compareTo(filled.cumQuoteQty()));
    assertEquals(filled, f.upserted());
    f.expectPassivate();
  }

  @Test
  void reportBeforeTheSubmitAnswerAcknowledgesFirst() {
    Fixture f = new Fixture();
    f.place(RespType.ACCEPTED);
    var result = f.kit.runCommand(new ApplyVenueReport(f.report(VenueStatus.PARTIALLY_FILLED, fill("t1", "1"))));
    assertEquals(List.of(ack(null), new OrderFilled(fill("t1", "1"))), result.events());
  }

  @Test
  void venueSideCancelAndExpiry() {
    Fixture canceled = new Fixture();
    canceled.placeAndAck();
    var c = canceled.kit.runCommand(new ApplyVenueReport(canceled.report(VenueStatus.CANCELED, fill("t1", "0.5"))));
    assertEquals(List.of(new OrderFilled(fill("t1", "0.5")), new OrderCanceled("canceled by venue", NOW)), c.events());
    assertEquals(Status.CANCELED, c.stateOfType(Closed.class).order().status());

    Fixture expired = new Fixture();
    expired.placeAndAck();
    Venue.VenueOrderReport withReason = new Venue.VenueOrderReport(expired.id, "V-1", "BTCUSDT", VenueStatus.EXPIRED, List.of(),
        "self-trade prevention", NOW);
    var e = expired.kit.runCommand(new ApplyVenueReport(withReason));
    assertEquals(List.of(new OrderExpired("self-trade prevention", NOW)), e.events());
    Fixture noReason = new Fixture();
    noReason.placeAndAck();
    assertEquals(List.of(new OrderExpired("expired at venue", NOW)),
        noReason.kit.runCommand(new ApplyVenueReport(noReason.report(VenueStatus.EXPIRED))).events());
  }

  @Test
  void lateFillOnAClosedOrderIsKeptOnce() {
    Fixture f = new Fixture();
    f.placeAndAck();
    f.kit.runCommand(new ApplyVenueReport(f.report(VenueStatus.CANCELED)));
    f.upserted();
    f.expectPassivate();

    var late = f.kit.runCommand(new ApplyVenueReport(f.report(VenueStatus.CANCELED, fill("t9", "0.5"))));
    assertEquals(List.of(new OrderFilled(fill("t9", "0.5"))), late.events());
    Order order = late.stateOfType(Closed.class).order();
    assertEquals(Status.CANCELED, order.status());
    assertEquals(0, new BigDecimal("0.5").compareTo(order.executedQty()));
    assertEquals(order, f.upserted());

    assertTrue(f.kit.runCommand(new ApplyVenueReport(f.report(VenueStatus.CANCELED, fill("t9", "0.5")))).hasNoEvents());
  }

  // ---- SubmitOutcome ----

  @Test
  void ackWithoutFills() {
    Fixture f = new Fixture();
    f.placeAndAck();
    assertEquals(List.of(f.acceptedEvent(), ack(SENT)), f.journal());
  }

  @Test
  void ackWithFillsJournalsAckFillsAndFinalStateTogether() {
    Fixture f = new Fixture();
    Batcher.Submit submit = f.place(RespType.ACKNOWLEDGED);
    // an IOC-style answer: part filled at once, the rest expired
    Venue.VenueOrderReport report = new Venue.VenueOrderReport(f.id, "V-1", "BTCUSDT", VenueStatus.EXPIRED, List.of(fill("t1", "1.5")),
        "no liquidity for IOC", NOW);
    f.answer(submit, new Venue.Acknowledged(report));
    Order answered = foundOn(f.client);
    assertEquals(Status.EXPIRED, answered.status());
    assertEquals(List.of(f.acceptedEvent(), ack(SENT), new OrderFilled(fill("t1", "1.5")), new OrderExpired("no liquidity for IOC", NOW)),
        f.journal());
    assertEquals(new Closed(answered), f.kit.getState());
    f.expectPassivate();
  }

  @Test
  void ackFullyFilledNeedsNoFinalEvent() {
    Fixture f = new Fixture();
    Batcher.Submit submit = f.place(RespType.RESULT);
    f.answer(submit, new Venue.Acknowledged(f.report(VenueStatus.FILLED, fill("t1", "2"))));
    assertEquals(Status.FILLED, foundOn(f.client).status());
    assertEquals(List.of(f.acceptedEvent(), ack(SENT), new OrderFilled(fill("t1", "2"))), f.journal());
  }

  @Test
  void refusedIsRejectedByTheVenue() {
    Fixture f = new Fixture();
    Batcher.Submit submit = f.place(RespType.ACKNOWLEDGED);
    f.answer(submit, new Venue.Refused(f.id, "MIN_QTY: too small"));
    Order answered = foundOn(f.client);
    assertEquals(Status.REJECTED, answered.status());
    assertEquals("MIN_QTY: too small", answered.reason());
    assertNull(answered.venueOrderId());
    assertEquals(List.of(f.acceptedEvent(), new OrderRejected("MIN_QTY: too small", "venue", NOW)), f.journal());
    f.upserted();
    f.expectPassivate();
  }

  @Test
  void unknownOutcomeQueriesTheVenueThenResubmitsWhenItDoesNotKnowTheOrder() {
    Fixture f = new Fixture();
    Batcher.Submit submit = f.place(RespType.ACKNOWLEDGED);
    f.answer(submit, new Venue.Unknown(f.id, "timeout"));
    FakeVenue.QueryCall query = f.venue.expectQuery();
    assertEquals(f.id, query.clientOrderId());
    assertEquals(List.of(f.acceptedEvent(), new OrderInDoubt("submit outcome unknown: timeout", NOW)), f.journal());
    query.answer().complete(Optional.empty());
    Batcher.Submit again = f.expectSubmit(QTY);
    f.answer(again, new Venue.Acknowledged(f.report(VenueStatus.NEW)));
    assertEquals(Status.ACKNOWLEDGED, foundOn(f.client).status());
  }

  @Test
  void unknownOutcomeMergesWhatTheVenueKnows() {
    Fixture f = new Fixture();
    Batcher.Submit submit = f.place(RespType.RESULT);
    f.answer(submit, new Venue.Unknown(f.id, "timeout"));
    // the query fails too: retried
    f.venue.expectQuery().answer().completeExceptionally(new RuntimeException("down"));
    f.venue.expectQuery().answer().complete(Optional.of(f.report(VenueStatus.FILLED, fill("t1", "2"))));
    assertEquals(Status.FILLED, foundOn(f.client).status());
    assertEquals(List.of(f.acceptedEvent(), new OrderInDoubt("submit outcome unknown: timeout", NOW), ack(null),
        new OrderFilled(fill("t1", "2"))), f.journal());
  }

  @Test
  void givesUpAfterMaxChecksWithTheReason() {
    Fixture f = new Fixture(2);
    Batcher.Submit first = f.place(RespType.RESULT);
    f.answer(first, new Venue.Unknown(f.id, "timeout"));
    f.venue.expectQuery().answer().complete(Optional.empty());
    Batcher.Submit second = f.expectSubmit(QTY);
    f.answer(second, new Venue.Unknown(f.id, "still down"));
    f.venue.expectQuery().answer().completeExceptionally(new RuntimeException("connection refused"));
    Order rejected = foundOn(f.client);
    assertEquals(Status.REJECTED, rejected.status());
    String reason = "venue outcome unknown after 2 checks: venue unreachable: java.lang.RuntimeException: connection refused";
    assertEquals(List.of(f.acceptedEvent(), new OrderInDoubt("submit outcome unknown: timeout", NOW),
        new OrderRejected(reason, "executor", NOW)), f.journal());
    // a last cancel by clientOrderId, in case the venue holds it after all
    assertEquals(f.id, f.venue.expectCancel().clientOrderId());
    assertTrue(f.venue.noPendingQuery());
  }

  // ---- restart / recovery ----

  @Test
  void restartOfUnacknowledgedOrderAsksTheVenueThenResubmitsIt() {
    Fixture f = new Fixture();
    f.place(RespType.ACCEPTED);
    State before = f.kit.getState();
    var restarted = f.kit.restart();
    assertEquals(before, restarted.state());
    assertEquals(f.order(), f.upserted());
    f.venue.expectQuery().answer().complete(Optional.empty());
    Batcher.Submit resubmit = f.expectSubmit(QTY);
    f.answer(resubmit, new Venue.Acknowledged(f.report(VenueStatus.NEW)));
    assertEquals(Status.ACKNOWLEDGED, f.upserted().status());
  }

  @Test
  void restartOfAcknowledgedOrderQueriesTheVenue() {
    Fixture f = new Fixture();
    f.placeAndAck();
    f.kit.runCommand(new ApplyVenueReport(f.report(VenueStatus.PARTIALLY_FILLED, fill("t1", "0.5"))));
    f.upserted();
    State before = f.kit.getState();
    assertEquals(before, f.kit.restart().state());
    assertEquals(f.order(), f.upserted());
    assertEquals(0, f.venue.pendingCalls(), "an acknowledged order waits for reconciliation");
    TestProbe<Reply> reconciliation = testKit.createTestProbe();
    f.kit.runCommand(new OrderEntity.Reconcile(reconciliation.ref()));
    FakeVenue.QueryCall query = f.venue.expectQuery();
    assertEquals(f.id, query.clientOrderId());
    query.answer().complete(Optional.of(f.report(VenueStatus.FILLED, fill("t1", "0.5"), fill("t2", "1.5"))));
    assertEquals(Status.FILLED, f.upserted().status());
    OrderEntity.Reconciled reconciled = assertInstanceOf(OrderEntity.Reconciled.class, reconciliation.receiveMessage());
    assertEquals(List.of("fill"), reconciled.corrections());
    assertEquals(Status.FILLED, reconciled.order().status());
    assertEquals(List.of(f.acceptedEvent(), ack(SENT), new OrderFilled(fill("t1", "0.5")), new OrderFilled(fill("t2", "1.5"))),
        f.journal());
  }

  @Test
  void restartOfAcknowledgedOrderTheVenueLostResubmitsTheRemainder() {
    Fixture f = new Fixture();
    f.placeAndAck();
    f.kit.runCommand(new ApplyVenueReport(f.report(VenueStatus.PARTIALLY_FILLED, fill("t1", "0.5"))));
    f.upserted();
    f.kit.restart();
    f.upserted();
    TestProbe<Reply> reconciliation = testKit.createTestProbe();
    f.kit.runCommand(new OrderEntity.Reconcile(reconciliation.ref()));
    f.venue.expectQuery().answer().complete(Optional.empty());
    f.expectSubmit(new BigDecimal("1.5"));
    assertEquals(List.of("resubmit"), assertInstanceOf(OrderEntity.Reconciled.class, reconciliation.receiveMessage()).corrections());
  }

  @Test
  void restartOfClosedOrderGivesEqualStateAndDoesNothing() {
    Fixture f = new Fixture();
    f.placeAndAck();
    f.kit.runCommand(new ApplyVenueReport(f.report(VenueStatus.CANCELED, fill("t1", "1"))));
    State before = f.kit.getState();
    assertInstanceOf(Closed.class, before);
    assertEquals(before, f.kit.restart().state());
    assertEquals(0, f.venue.pendingCalls());
  }

  // ---- Passivate (spawned directly: the test kit's wrapper cannot be watched) ----

  @Test
  void passivateStopsAnEmptyEntity() {
    Fixture f = new Fixture(20, false);
    ActorRef<Command> entity = testKit.spawn(f.behavior());
    entity.tell(OrderEntity.Passivate.INSTANCE);
    testKit.createTestProbe().expectTerminated(entity);
  }

  @Test
  void passivateStopsAnOpenEntity() {
    Fixture f = new Fixture(20, false);
    ActorRef<Command> entity = testKit.spawn(f.behavior());
    entity.tell(new Place(f.request(RespType.ACCEPTED), RECEIVED, f.client.ref()));
    assertEquals(Status.ACCEPTED, foundOn(f.client).status());
    entity.tell(OrderEntity.Passivate.INSTANCE);
    testKit.createTestProbe().expectTerminated(entity);
  }

  @Test
  void passivateStopsAClosedEntity() {
    Fixture f = new Fixture(20, false);
    ActorRef<Command> entity = testKit.spawn(f.behavior());
    entity.tell(new Place(f.request(RespType.RESULT), RECEIVED, f.client.ref()));
    entity.tell(new ApplyVenueReport(f.report(VenueStatus.FILLED, fill("t1", "2"))));
    assertEquals(Status.FILLED, foundOn(f.client).status());
    f.expectPassivate();
    entity.tell(OrderEntity.Passivate.INSTANCE);
    testKit.createTestProbe().expectTerminated(entity);
  }
}
