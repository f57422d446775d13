package io.sparkexec.order;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import io.sparkexec.batch.Batcher;
import io.sparkexec.metrics.Metrics;
import io.sparkexec.order.OrderRequest.RespType;
import io.sparkexec.venue.FakeVenue;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import io.sparkexec.venue.Venue;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import kamon.metric.Counter;
import kamon.metric.Gauge;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The desk's in-doubt checker on virtual time: a submit whose outcome is unknown is journaled in
 * doubt and checked with the venue every interval (the cap is the interval here) until the venue's
 * answer settles it, or the venue has been unreachable for GIVE_UP_AFTER. The scheduler only moves when the test says so, and round trips through the
 * desk's mailbox show whether a check has happened. Each desk holds a bystander order too, so
 * the checker is seen to work per order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class OrderDeskInDoubtTest {

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withName("OrderDeskInDoubtTest")
      .withCustomConfig(ManualTime.config().withFallback(EventSourcedBehaviorTestKit.config()).withFallback(ActorTestKit.applicationTestConfig()))
      .build();

  static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
  static final Duration INTERVAL = Duration.ofMillis(100);
  static final Duration WAIT = Duration.ofSeconds(5);
  static final Duration RESUBMIT_QUIET = INTERVAL.multipliedBy(2);
  static final Duration GIVE_UP_AFTER = INTERVAL.multipliedBy(3);
  private static int desks;

  @TempDir
  static Path indexDir;
  OrderIndex index;

  @BeforeAll
  void openIndex() {
    index = OrderIndex.open(indexDir.toFile(),
        JacksonObjectMapperProvider.get(testKit.system()).getOrCreate("jackson-cbor", Optional.of(new CBORFactory())));
  }

  @AfterAll
  void closeIndex() {
    index.close();
  }

  final class Fixture {
    final String symbol = "DOUBT" + (++desks);
    final String id = symbol + "-lost";
    // acknowledged before the doubt: the checker must leave it alone
    final String bystander = symbol + "-fine";
    final FakeVenue venue = new FakeVenue();
    final TestProbe<Batcher.Command> batcher = testKit.createTestProbe();
    final TestProbe<OrderDesk.Reply> client = testKit.createTestProbe();
    final EventSourcedBehaviorTestKit<OrderDesk.Command, OrderDesk.Event, OrderDesk.State> kit =
        EventSourcedBehaviorTestKit.create(testKit.system(), OrderDesk.create(symbol,
            new OrderDesk.Deps(venue, s -> batcher.ref(), venue, new VenueChecks(venue, 4), index, Clock.fixed(NOW, ZoneOffset.UTC),
                new OrderDesk.InDoubt(INTERVAL, INTERVAL, RESUBMIT_QUIET, GIVE_UP_AFTER), new OrderDesk.Settings(8, 1000, 16))),
            EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyState(false));

    Batcher.SubmitBatch place(String clientOrderId) {
      kit.runCommand(new OrderDesk.Place(new OrderRequest(clientOrderId, symbol, Side.BUY, OrderType.LIMIT, TimeInForce.GTC, BigDecimal.ONE,
          BigDecimal.TEN, null, RespType.ACCEPTED), NOW, client.ref()));
      assertEquals(Order.Status.ACCEPTED, assertInstanceOf(OrderDesk.Found.class, client.receiveMessage(WAIT)).order().status());
      Batcher.SubmitBatch submit = batcher.expectMessageClass(Batcher.SubmitBatch.class, WAIT);
      assertEquals(List.of(clientOrderId), submit.orders().stream().map(Venue.VenueOrder::clientOrderId).toList());
      return submit;
    }

    /** Places the bystander (acknowledged) and the order whose submit's answer is lost: in doubt, nothing asked yet. */
    void placeAndLoseTheAnswer() {
      answer(place(bystander), new Venue.Acknowledged(report(bystander, Venue.VenueStatus.NEW, null)));
      awaitStatus(bystander, Order.Status.ACKNOWLEDGED);
      answer(place(id), new Venue.Unknown(id, "timeout after 2000 ms"));
      Order order = awaitStatus(id, Order.Status.IN_DOUBT);
      assertEquals("submit outcome unknown: timeout after 2000 ms", order.reason());
      settle();
      assertTrue(venue.noPendingQuery(), "asked the venue before the check interval");
    }

    void answer(Batcher.SubmitBatch submit, Venue.SubmitResult result) {
      submit.replyTo().tell(new Batcher.Outcomes(NOW, List.of(result)));
    }

    Venue.VenueOrderReport report(String clientOrderId, Venue.VenueStatus status, String reason) {
      return new Venue.VenueOrderReport(clientOrderId, "V-" + clientOrderId, symbol, status, List.of(), reason, NOW);
    }

    /** The next check: one interval passes and the desk asks the venue by clientOrderId (only for the order in doubt). */
    FakeVenue.QueryCall nextCheck() {
      timePasses(INTERVAL);
      FakeVenue.QueryCall q = venue.expectQuery();
      assertEquals(id, q.clientOrderId());
      return q;
    }

    Order order(String clientOrderId) {
      return assertInstanceOf(OrderDesk.Found.class,
          kit.<OrderDesk.Reply>runCommand(replyTo -> new OrderDesk.Get(clientOrderId, replyTo)).reply()).order();
    }

    /** Polls Get: answered from the journaled state, after the write's side effects (a check scheduled). */
    Order awaitStatus(String clientOrderId, Order.Status status) {
      return client.awaitAssert(WAIT, () -> {
        Order o = order(clientOrderId);
        assertEquals(status, o.status());
        return o;
      });
    }

    List<Object> journalOf(String clientOrderId) {
      return kit.persistenceTestKit().persistedInStorage(PersistenceId.of(OrderDesk.ENTITY_KEY.name(), symbol).id()).stream()
          .filter(e -> ((OrderDesk.Event) e).clientOrderId().equals(clientOrderId)).toList();
    }

    void awaitJournalOf(String clientOrderId, List<Object> expected) {
      client.awaitAssert(WAIT, () -> {
        assertEquals(expected, journalOf(clientOrderId));
        return null;
      });
    }

    /**
     * Three round trips: whatever the desk had queued (a venue answer, then a timer it fired or
     * the Flush it sent itself, then the write) has been handled.
     */
    void settle() {
      for (int i = 0; i < 3; i++) kit.<OrderDesk.Reply>runCommand(replyTo -> new OrderDesk.Get("none", replyTo));
    }

    void timePasses(Duration d) {
      ManualTime.get(testKit.system()).timePasses(d);
      settle();
    }

    /** The bystander was never checked nor touched. */
    void bystanderUntouched() {
      assertEquals(Order.Status.ACKNOWLEDGED, order(bystander).status());
      assertEquals(2, journalOf(bystander).size());
    }
  }

  OrderDesk.OrderInDoubt inDoubt(Fixture f) {
    return new OrderDesk.OrderInDoubt(f.id, null, "submit outcome unknown: timeout after 2000 ms", NOW);
  }

  @Test
  void venueTookTheOrderButTheAnswerWasLostIsAcknowledgedNeverResubmitted() {
    Fixture f = new Fixture();
    f.placeAndLoseTheAnswer();
    f.nextCheck().answer().complete(Optional.of(f.report(f.id, Venue.VenueStatus.NEW, null)));
    Order order = f.awaitStatus(f.id, Order.Status.ACKNOWLEDGED);
    assertEquals("V-" + f.id, order.venueOrderId());
    assertNull(order.reason(), "the ack settles the doubt");
    assertEquals(List.of(f.journalOf(f.id).get(0), inDoubt(f), new OrderDesk.OrderAcknowledged(f.id, null, "V-" + f.id, null, NOW)), f.journalOf(f.id));
    f.timePasses(INTERVAL.multipliedBy(5));
    f.batcher.expectNoMessage(Duration.ofMillis(50));
    assertTrue(f.venue.noPendingQuery(), "kept checking a settled order");
    f.bystanderUntouched();
  }

  @Test
  void venueNeverGotTheOrderIsResubmittedWithTheSameClientOrderIdAndNotAgainWhileThatMayStillLand() {
    Fixture f = new Fixture();
    f.placeAndLoseTheAnswer();
    f.nextCheck().answer().complete(Optional.empty());
    Batcher.SubmitBatch resubmit = f.batcher.expectMessageClass(Batcher.SubmitBatch.class, WAIT);
    assertEquals(List.of(new Venue.VenueOrder(f.id, f.symbol, Side.BUY, OrderType.LIMIT, TimeInForce.GTC, BigDecimal.ONE, BigDecimal.TEN)),
        resubmit.orders());
    // the resubmit's answer is lost too, and the venue still does not show it: no second resubmit
    // while a query has not come RESUBMIT_QUIET after that answer
    f.answer(resubmit, new Venue.Unknown(f.id, "timeout after 2000 ms"));
    f.settle();
    f.nextCheck().answer().complete(Optional.empty());
    f.settle();
    f.batcher.expectNoMessage(Duration.ofMillis(50));
    f.nextCheck().answer().complete(Optional.of(f.report(f.id, Venue.VenueStatus.NEW, null)));
    f.awaitStatus(f.id, Order.Status.ACKNOWLEDGED);
    assertEquals(List.of(f.journalOf(f.id).get(0), inDoubt(f), new OrderDesk.OrderAcknowledged(f.id, null, "V-" + f.id, null, NOW)), f.journalOf(f.id));
    f.bystanderUntouched();
  }

  @Test
  void venueRejectedTheOrderIsRejectedWithTheVenuesReason() {
    Fixture f = new Fixture();
    f.placeAndLoseTheAnswer();
    f.nextCheck().answer().complete(Optional.of(f.report(f.id, Venue.VenueStatus.REJECTED, "INSUFFICIENT_BALANCE")));
    Order order = f.awaitStatus(f.id, Order.Status.REJECTED);
    assertEquals("INSUFFICIENT_BALANCE", order.reason());
    assertEquals(List.of(f.journalOf(f.id).get(0), inDoubt(f), new OrderDesk.OrderRejected(f.id, null, "INSUFFICIENT_BALANCE", "venue", NOW)),
        f.journalOf(f.id));
    f.batcher.expectNoMessage(Duration.ofMillis(50));
    f.bystanderUntouched();
  }

  @Test
  void aResubmitThatMetAFaultIsSentAgainOnceItCanNoLongerLandAndTheVenueIsNeverGivenUpWhileItAnswers() {
    Fixture f = new Fixture();
    f.placeAndLoseTheAnswer();
    // a chaos window: every resubmit meets a fault, every query answers "not known", far longer than GIVE_UP_AFTER
    for (int round = 0; round < 4; round++) {
      f.nextCheck().answer().complete(Optional.empty());
      Batcher.SubmitBatch resubmit = f.batcher.expectMessageClass(Batcher.SubmitBatch.class, WAIT);
      assertEquals(List.of(f.id), resubmit.orders().stream().map(Venue.VenueOrder::clientOrderId).toList());
      f.answer(resubmit, new Venue.Unknown(f.id, "injected fault"));
      f.settle();
      // quiet: one query within RESUBMIT_QUIET of the fault, no resubmit on its "not known"
      f.nextCheck().answer().complete(Optional.empty());
      f.settle();
      f.batcher.expectNoMessage(Duration.ofMillis(50));
    }
    assertEquals(Order.Status.IN_DOUBT, f.order(f.id).status(), "given up on a venue that answers");
    // the fault is gone: the next resubmit lands
    f.nextCheck().answer().complete(Optional.empty());
    Batcher.SubmitBatch last = f.batcher.expectMessageClass(Batcher.SubmitBatch.class, WAIT);
    f.answer(last, new Venue.Acknowledged(f.report(f.id, Venue.VenueStatus.NEW, null)));
    f.awaitStatus(f.id, Order.Status.ACKNOWLEDGED);
    assertEquals(List.of(f.journalOf(f.id).get(0), inDoubt(f), new OrderDesk.OrderAcknowledged(f.id, null, "V-" + f.id, NOW, NOW)), f.journalOf(f.id));
    f.bystanderUntouched();
  }

  @Test
  void givesUpOnceTheVenueWasUnreachableForGiveUpAfterWithAClearReasonAndTheAlertMetrics() {
    Counter.LongAdder givenUp = (Counter.LongAdder) Metrics.ORDERS_IN_DOUBT_GIVEN_UP.withoutTags();
    Gauge.Volatile inDoubtGauge = (Gauge.Volatile) Metrics.ORDERS_IN_DOUBT.withoutTags();
    long givenUpBefore = givenUp.snapshot(false);
    double inDoubtBefore = inDoubtGauge.snapshot(false);
    Fixture f = new Fixture();
    f.placeAndLoseTheAnswer();
    assertEquals(inDoubtBefore + 1, inDoubtGauge.snapshot(false));
    // the first failed check starts the unreachable stretch; each further interval adds to it
    for (int i = 0; i < 3; i++) f.nextCheck().answer().completeExceptionally(new RuntimeException("connection refused"));
    f.timePasses(INTERVAL);
    Order order = f.awaitStatus(f.id, Order.Status.REJECTED);
    assertEquals("venue outcome unknown: the venue was unreachable for 300 ms (3 checks): venue unreachable: java.lang.RuntimeException: connection refused",
        order.reason());
    assertEquals(new OrderDesk.OrderRejected(f.id, null, order.reason(), "executor", NOW), f.journalOf(f.id).get(2));
    assertEquals(givenUpBefore + 1, givenUp.snapshot(false));
    assertEquals(inDoubtBefore, inDoubtGauge.snapshot(false));
    assertEquals(f.id, f.venue.expectCancel().clientOrderId(), "a last cancel in case the venue holds it after all");
    f.timePasses(INTERVAL.multipliedBy(5));
    assertTrue(f.venue.noPendingQuery(), "kept asking after giving up");
    f.bystanderUntouched();
  }

  @Test
  void cancelOfAnInDoubtOrderTheVenueNeverGotCancelsItInsteadOfResubmitting() {
    Fixture f = new Fixture();
    f.placeAndLoseTheAnswer();
    TestProbe<OrderDesk.Reply> canceller = testKit.createTestProbe();
    f.kit.runCommand(new OrderDesk.Cancel(f.id, canceller.ref()));
    // the cancel asks the venue at once, without waiting for the next interval
    f.venue.expectQuery().answer().complete(Optional.empty());
    Order canceled = assertInstanceOf(OrderDesk.Found.class, canceller.receiveMessage(WAIT)).order();
    assertEquals(Order.Status.CANCELED, canceled.status());
    assertEquals("canceled by client before the venue had it", canceled.reason());
    f.batcher.expectNoMessage(Duration.ofMillis(50));
    f.bystanderUntouched();
  }

  @Test
  void inDoubtSurvivesARestartAndTheCheckerResumes() {
    Gauge.Volatile inDoubtGauge = (Gauge.Volatile) Metrics.ORDERS_IN_DOUBT.withoutTags();
    double inDoubtBefore = inDoubtGauge.snapshot(false);
    Fixture f = new Fixture();
    f.placeAndLoseTheAnswer();
    Order before = f.order(f.id);
    f.kit.restart();
    assertEquals(before, f.order(f.id));
    // the stopped incarnation no longer counts; the recovered one counts the doubt once
    assertEquals(inDoubtBefore + 1, inDoubtGauge.snapshot(false));
    f.settle();
    assertTrue(f.venue.noPendingQuery(), "asked the venue before the check interval");
    f.nextCheck().answer().complete(Optional.of(f.report(f.id, Venue.VenueStatus.NEW, null)));
    f.awaitStatus(f.id, Order.Status.ACKNOWLEDGED);
    assertEquals(inDoubtBefore, inDoubtGauge.snapshot(false));
    f.bystanderUntouched();
  }

  @Test
  void reconcileOfAnInDoubtOrderAnswersWhatTheCheckCorrected() {
    Fixture f = new Fixture();
    f.placeAndLoseTheAnswer();
    TestProbe<OrderDesk.Reply> reconciliation = testKit.createTestProbe();
    f.kit.runCommand(new OrderDesk.Reconcile(f.id, reconciliation.ref()));
    f.venue.expectQuery().answer().complete(Optional.of(f.report(f.id, Venue.VenueStatus.NEW, null)));
    OrderDesk.Reconciled reconciled = assertInstanceOf(OrderDesk.Reconciled.class, reconciliation.receiveMessage(WAIT));
    assertEquals(List.of("ack"), reconciled.corrections());
    assertEquals(Order.Status.ACKNOWLEDGED, reconciled.order().status());
  }
}
