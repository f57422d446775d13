package io.sparkexec.order;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.batch.Batcher;
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
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The resubmit backoff, on virtual time: the scheduler only moves when the test says so, and
 * a round trip through the entity's mailbox shows whether a retry has happened.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class OrderEntityRetryTest {

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withName("OrderEntityRetryTest")
      .withCustomConfig(ManualTime.config().withFallback(EventSourcedBehaviorTestKit.config()).withFallback(ActorTestKit.applicationTestConfig()))
      .build();

  static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
  static final Duration BACKOFF = Duration.ofMillis(100);
  private static int ids;

  final class Fixture {
    final String id = "retry-" + (++ids);
    final FakeVenue venue = new FakeVenue();
    final TestProbe<Batcher.Command> batcher = testKit.createTestProbe();
    final TestProbe<OpenOrders.Command> openOrders = testKit.createTestProbe();
    final TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
    final TestProbe<OrderEntity.Reply> client = testKit.createTestProbe();
    final EventSourcedBehaviorTestKit<OrderEntity.Command, OrderEntity.Event, OrderEntity.State> kit =
        EventSourcedBehaviorTestKit.create(testKit.system(), OrderEntity.create(id,
            new OrderEntity.Deps(venue, s -> batcher.ref(), venue, openOrders.ref(), Clock.fixed(NOW, ZoneOffset.UTC), BACKOFF, 20),
            shard.ref()));

    Batcher.Submit place() {
      kit.runCommand(new OrderEntity.Place(new OrderRequest(id, "BTCUSDT", Side.BUY, OrderType.LIMIT, TimeInForce.GTC, BigDecimal.ONE,
          BigDecimal.TEN, null, RespType.ACCEPTED), NOW, client.ref()));
      return batcher.expectMessageClass(Batcher.Submit.class);
    }

    void answer(Batcher.Submit submit, Venue.SubmitResult result) {
      submit.replyTo().tell(new Batcher.Outcome(NOW, result));
    }

    Venue.VenueOrderReport report() {
      return new Venue.VenueOrderReport(id, "V-1", "BTCUSDT", Venue.VenueStatus.NEW, List.of(), null, NOW);
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

  @Test
  void unknownOutcomeWaitsBackoffTimesAttemptsBeforeAskingTheVenue() {
    Fixture f = new Fixture();
    f.answer(f.place(), new Venue.Unknown(f.id, "timeout"));
    f.settle();
    f.timePasses(BACKOFF.minusMillis(1));
    assertTrue(f.venue.noPendingQuery(), "queried before the backoff");
    f.timePasses(Duration.ofMillis(1));
    f.venue.expectQuery().answer().complete(Optional.empty());

    // second attempt: twice the backoff
    f.answer(f.batcher.expectMessageClass(Batcher.Submit.class), new Venue.Unknown(f.id, "timeout"));
    f.settle();
    f.timePasses(BACKOFF.multipliedBy(2).minusMillis(1));
    assertTrue(f.venue.noPendingQuery(), "queried before twice the backoff");
    f.timePasses(Duration.ofMillis(1));
    f.venue.expectQuery().answer().complete(Optional.of(f.report()));
    f.settle();
    assertEquals(Order.Status.ACKNOWLEDGED, assertInstanceOf(OrderEntity.Found.class, f.kit.<OrderEntity.Reply>runCommand(OrderEntity.Get::new)
        .reply()).order().status());
  }

  @Test
  void failedVenueQueryAfterRestartIsRetriedAfterTheBackoffNotAtOnce() {
    Fixture f = new Fixture();
    f.answer(f.place(), new Venue.Acknowledged(f.report()));
    f.settle();
    f.kit.restart();
    // recovery of an acknowledged order asks the venue; the venue is down
    f.venue.expectQuery().answer().completeExceptionally(new RuntimeException("venue down"));
    f.settle();
    assertTrue(f.venue.noPendingQuery(), "a failed query was retried at once (no backoff)");
    f.timePasses(BACKOFF);
    f.venue.expectQuery().answer().complete(Optional.of(f.report()));
  }
}
