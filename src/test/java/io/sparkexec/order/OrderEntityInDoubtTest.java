package io.sparkexec.order;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.batch.Batcher;
import io.sparkexec.metrics.Metrics;
import io.sparkexec.order.OrderRequest.RespType;
import io.sparkexec.venue.FakeVenue;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import io.sparkexec.venue.Venue;
import java.math.BigDecimal;
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
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The in-doubt checker on virtual time: a submit whose outcome is unknown is journaled in doubt
 * and checked with the venue every interval until the venue's answer settles it, or the checks
 * run out. The scheduler only moves when the test says so, and a round trip through the
 * entity's mailbox shows whether a check has happened.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class OrderEntityInDoubtTest {

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withName("OrderEntityInDoubtTest")
      .withCustomConfig(ManualTime.config().withFallback(EventSourcedBehaviorTestKit.config()).withFallback(ActorTestKit.applicationTestConfig()))
      .build();

  static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
  static final Duration INTERVAL = Duration.ofMillis(100);
  static final int MAX_CHECKS = 3;
  private static int ids;

  final class Fixture {
    final String id = "doubt-" + (++ids);
    final FakeVenue venue = new FakeVenue();
    final TestProbe<Batcher.Command> batcher = testKit.createTestProbe();
    final TestProbe<OpenOrders.Command> openOrders = testKit.createTestProbe();
    final TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
    final TestProbe<OrderEntity.Reply> client = testKit.createTestProbe();
    final EventSourcedBehaviorTestKit<OrderEntity.Command, OrderEntity.Event, OrderEntity.State> kit =
        EventSourcedBehaviorTestKit.create(testKit.system(), OrderEntity.create(id,
            new OrderEntity.Deps(venue, s -> batcher.ref(), venue, openOrders.ref(), new VenueChecks(venue, 4),
                Clock.fixed(NOW, ZoneOffset.UTC), new OrderEntity.InDoubt(INTERVAL, MAX_CHECKS)),
            shard.ref()));

    Batcher.Submit place() {
      kit.runCommand(new OrderEntity.Place(new OrderRequest(id, "BTCUSDT", Side.BUY, OrderType.LIMIT, TimeInForce.GTC, BigDecimal.ONE,
          BigDecimal.TEN, null, RespType.ACCEPTED), NOW, client.ref()));
      return batcher.expectMessageClass(Batcher.Submit.class);
    }

    /** Places the order and loses the submit's answer: the order is in doubt, nothing asked yet. */
    void placeAndLoseTheAnswer() {
      answer(place(), new Venue.Unknown(id, "timeout after 2000 ms"));
      settle();
      assertEquals(Order.Status.IN_DOUBT, order().status());
      assertEquals("submit outcome unknown: timeout after 2000 ms", order().reason());
      assertTrue(venue.noPendingQuery(), "asked the venue before the check interval");
    }

    void answer(Batcher.Submit submit, Venue.SubmitResult result) {
      submit.replyTo().tell(new Batcher.Outcome(NOW, result));
    }

    Venue.VenueOrderReport report(Venue.VenueStatus status, String reason) {
      return new Venue.VenueOrderReport(id, "V-1", "BTCUSDT", status, List.of(), reason, NOW);
    }

    /** The next check: one interval passes and the entity asks the venue by clientOrderId. */
    FakeVenue.QueryCall nextCheck() {
      timePasses(INTERVAL);
      FakeVenue.QueryCall q = venue.expectQuery();
      assertEquals(id, q.clientOrderId());
      return q;
    }

    Order order() {
      return assertInstanceOf(OrderEntity.Found.class, kit.<OrderEntity.Reply>runCommand(OrderEntity.Get::new).reply()).order();
    }

    List<Object> journal() {
      return kit.persistenceTestKit().persistedInStorage(PersistenceId.of(OrderEntity.ENTITY_KEY.name(), id).id());
    }

    /** Two round trips: whatever the entity had queued (an outcome, then a timer it fired) has been handled. */
    void settle() {
      kit.runCommand(OrderEntity.Get::new);
      kit.runCommand(OrderEntity.Get::new);
    }

    void timePasses(Duration d) {
      ManualTime.get(testKit.system()).timePasses(d);
      settle();
    }
  }

  static OrderEntity.OrderInDoubt inDoubt() {
    return new OrderEntity.OrderInDoubt("submit outcome unknown: timeout after 2000 ms", NOW);
  }

  @Test
  void venueTookTheOrderButTheAnswerWasLostIsAcknowledgedNeverResubmitted() {
    Fixture f = new Fixture();
    f.placeAndLoseTheAnswer();
    f.nextCheck().answer().complete(Optional.of(f.report(Venue.VenueStatus.NEW, null)));
    f.settle();
    Order order = f.order();
    assertEquals(Order.Status.ACKNOWLEDGED, order.status());
    assertEquals("V-1", order.venueOrderId());
    assertEquals(null, order.reason(), "the ack settles the doubt");
    assertEquals(List.of(f.journal().get(0), inDoubt(), new OrderEntity.OrderAcknowledged("V-1", null, NOW)), f.journal());
    f.timePasses(INTERVAL.multipliedBy(5));
    f.batcher.expectNoMessage(Duration.ofMillis(50));
    assertTrue(f.venue.noPendingQuery(), "kept checking a settled order");
  }

  @Test
  void venueNeverGotTheOrderIsResubmittedExactlyOnceWithTheSameClientOrderId() {
    Fixture f = new Fixture();
    f.placeAndLoseTheAnswer();
    f.nextCheck().answer().complete(Optional.empty());
    Batcher.Submit resubmit = f.batcher.expectMessageClass(Batcher.Submit.class);
    assertEquals(f.id, resubmit.order().clientOrderId());
    // the resubmit's answer is lost too, and the venue still does not show it: no second resubmit
    f.answer(resubmit, new Venue.Unknown(f.id, "timeout after 2000 ms"));
    f.settle();
    f.nextCheck().answer().complete(Optional.empty());
    f.batcher.expectNoMessage(Duration.ofMillis(50));
    f.nextCheck().answer().complete(Optional.of(f.report(Venue.VenueStatus.NEW, null)));
    f.settle();
    assertEquals(Order.Status.ACKNOWLEDGED, f.order().status());
    assertEquals(List.of(f.journal().get(0), inDoubt(), new OrderEntity.OrderAcknowledged("V-1", null, NOW)), f.journal());
  }

  @Test
  void venueRejectedTheOrderIsRejectedWithTheVenuesReason() {
    Fixture f = new Fixture();
    f.placeAndLoseTheAnswer();
    f.nextCheck().answer().complete(Optional.of(f.report(Venue.VenueStatus.REJECTED, "INSUFFICIENT_BALANCE")));
    f.settle();
    Order order = f.order();
    assertEquals(Order.Status.REJECTED, order.status());
    assertEquals("INSUFFICIENT_BALANCE", order.reason());
    assertEquals(List.of(f.journal().get(0), inDoubt(), new OrderEntity.OrderRejected("INSUFFICIENT_BALANCE", "venue", NOW)), f.journal());
    f.batcher.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void givesUpAfterMaxChecksWithAClearReasonAndTheAlertMetrics() {
    Counter.LongAdder givenUp = (Counter.LongAdder) Metrics.ORDERS_IN_DOUBT_GIVEN_UP.withoutTags();
    Gauge.Volatile inDoubtGauge = (Gauge.Volatile) Metrics.ORDERS_IN_DOUBT.withoutTags();
    long givenUpBefore = givenUp.snapshot(false);
    double inDoubtBefore = inDoubtGauge.snapshot(false);
    Fixture f = new Fixture();
    f.placeAndLoseTheAnswer();
    assertEquals(inDoubtBefore + 1, inDoubtGauge.snapshot(false));
    for (int i = 0; i < MAX_CHECKS; i++) f.nextCheck().answer().completeExceptionally(new RuntimeException("connection refused"));
    f.timePasses(INTERVAL);
    Order order = f.order();
    assertEquals(Order.Status.REJECTED, order.status());
    assertEquals("venue outcome unknown after 3 checks: venue unreachable: java.lang.RuntimeException: connection refused", order.reason());
    assertEquals(givenUpBefore + 1, givenUp.snapshot(false));
    assertEquals(inDoubtBefore, inDoubtGauge.snapshot(false));
    assertEquals(f.id, f.venue.expectCancel().clientOrderId(), "a last cancel in case the venue holds it after all");
    f.timePasses(INTERVAL.multipliedBy(5));
    assertTrue(f.venue.noPendingQuery(), "kept asking after giving up");
  }

  @Test
  void cancelOfAnInDoubtOrderTheVenueNeverGotCancelsItInsteadOfResubmitting() {
    Fixture f = new Fixture();
    f.placeAndLoseTheAnswer();
    TestProbe<OrderEntity.Reply> canceller = testKit.createTestProbe();
    f.kit.runCommand(new OrderEntity.Cancel(canceller.ref()));
    // the cancel asks the venue at once, without waiting for the next interval
    f.venue.expectQuery().answer().complete(Optional.empty());
    Order canceled = assertInstanceOf(OrderEntity.Found.class, canceller.receiveMessage()).order();
    assertEquals(Order.Status.CANCELED, canceled.status());
    assertEquals("canceled by client before the venue had it", canceled.reason());
    f.batcher.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void inDoubtSurvivesARestartAndTheCheckerResumes() {
    Fixture f = new Fixture();
    f.placeAndLoseTheAnswer();
    OrderEntity.State before = f.kit.getState();
    assertEquals(before, f.kit.restart().state());
    assertEquals(Order.Status.IN_DOUBT, f.order().status());
    f.nextCheck().answer().complete(Optional.of(f.report(Venue.VenueStatus.NEW, null)));
    f.settle();
    assertEquals(Order.Status.ACKNOWLEDGED, f.order().status());
  }
}
