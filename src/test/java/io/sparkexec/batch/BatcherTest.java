package io.sparkexec.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.venue.FakeVenue;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import io.sparkexec.venue.Venue;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class BatcherTest {

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("BatcherTest").build();

  private static final Duration NEVER = Duration.ofHours(1);

  static Venue.VenueOrder order(String id) {
    return new Venue.VenueOrder(id, "BTCUSDT", Side.BUY, OrderType.LIMIT, TimeInForce.GTC, BigDecimal.ONE, BigDecimal.TEN);
  }

  static List<String> ids(FakeVenue.SubmitCall call) {
    return call.orders().stream().map(Venue.VenueOrder::clientOrderId).toList();
  }

  static Venue.VenueOrderReport report(String id) {
    return new Venue.VenueOrderReport(id, "V-" + id, "BTCUSDT", Venue.VenueStatus.NEW, List.of(), null, Instant.EPOCH);
  }

  private TestProbe<Batcher.Outcome> submit(ActorRef<Batcher.Command> batcher, String id) {
    TestProbe<Batcher.Outcome> probe = testKit.createTestProbe();
    batcher.tell(new Batcher.Submit(order(id), probe.ref()));
    return probe;
  }

  @Test
  void eachOrderGetsItsOwnResultFromTheBatch() {
    FakeVenue venue = new FakeVenue();
    // a full batch of two goes while the first is in flight; the linger never ends
    ActorRef<Batcher.Command> batcher = testKit.spawn(Batcher.create("BTCUSDT", venue, new Batcher.Settings(true, 2, NEVER, 4, 64)));
    TestProbe<Batcher.Outcome> a = submit(batcher, "a");
    FakeVenue.SubmitCall first = venue.expectSubmit();
    assertEquals(List.of("a"), ids(first));
    TestProbe<Batcher.Outcome> b = submit(batcher, "b");
    TestProbe<Batcher.Outcome> c = submit(batcher, "c");
    FakeVenue.SubmitCall second = venue.expectSubmit();
    assertEquals(List.of("b", "c"), ids(second));
    assertEquals(List.of(order("b"), order("c")), second.orders());

    second.answer().complete(List.of(new Venue.Refused("b", "MIN_QTY: no"), new Venue.Acknowledged(report("c"))));
    assertEquals(new Venue.Refused("b", "MIN_QTY: no"), b.receiveMessage().result());
    Batcher.Outcome outcomeC = c.receiveMessage();
    assertEquals(new Venue.Acknowledged(report("c")), outcomeC.result());
    assertNotNull(outcomeC.sentAt());

    first.answer().complete(List.of(new Venue.Acknowledged(report("a"))));
    assertEquals(new Venue.Acknowledged(report("a")), a.receiveMessage().result());
  }

  @Test
  void aVenueFailureIsUnknownForEveryOrderOfTheBatch() {
    FakeVenue venue = new FakeVenue();
    ActorRef<Batcher.Command> batcher = testKit.spawn(Batcher.create("BTCUSDT", venue, new Batcher.Settings(true, 2, NEVER, 4, 64)));
    TestProbe<Batcher.Outcome> a = submit(batcher, "a");
    FakeVenue.SubmitCall first = venue.expectSubmit();
    TestProbe<Batcher.Outcome> b = submit(batcher, "b");
    TestProbe<Batcher.Outcome> c = submit(batcher, "c");
    FakeVenue.SubmitCall second = venue.expectSubmit();
    assertEquals(List.of("b", "c"), ids(second));

    second.answer().completeExceptionally(new RuntimeException("connection reset"));
    for (var probe : List.of(b, c)) {
      Venue.Unknown unknown = assertInstanceOf(Venue.Unknown.class, probe.receiveMessage().result());
      assertTrue(unknown.error().contains("connection reset"), unknown.error());
    }

    // a venue answering the wrong number of results is unknown too, never mismatched
    first.answer().complete(List.of());
    Venue.Unknown unknownA = assertInstanceOf(Venue.Unknown.class, a.receiveMessage().result());
    assertEquals("a", unknownA.clientOrderId());
  }

  @Test
  void disabledBatchingSendsEveryOrderAlone() {
    FakeVenue venue = new FakeVenue();
    // with batching on, b and c would wait together for the (endless) linger
    ActorRef<Batcher.Command> batcher = testKit.spawn(Batcher.create("BTCUSDT", venue, new Batcher.Settings(false, 8, NEVER, 4, 64)));
    submit(batcher, "a");
    submit(batcher, "b");
    submit(batcher, "c");
    assertEquals(List.of("a"), ids(venue.expectSubmit()));
    assertEquals(List.of("b"), ids(venue.expectSubmit()));
    assertEquals(List.of("c"), ids(venue.expectSubmit()));
  }

  @Test
  void fullQueueAnswersUnknownAtOnce() {
    FakeVenue venue = new FakeVenue();
    // parallelism 1, batches of 1, a queue of 1: with a in flight, at most one order waits in the
    // forming batch and one in the queue, so of ten more at least eight are refused at once
    ActorRef<Batcher.Command> batcher = testKit.spawn(Batcher.create("BTCUSDT", venue, new Batcher.Settings(true, 1, NEVER, 1, 1)));
    submit(batcher, "a");
    FakeVenue.SubmitCall first = venue.expectSubmit();
    TestProbe<Batcher.Outcome> probe = testKit.createTestProbe();
    for (int i = 0; i < 10; i++) batcher.tell(new Batcher.Submit(order("x" + i), probe.ref()));
    java.util.Set<String> refused = new java.util.HashSet<>();
    for (int i = 0; i < 8; i++) {
      Venue.Unknown unknown = assertInstanceOf(Venue.Unknown.class, probe.receiveMessage().result());
      assertTrue(unknown.error().contains("batcher queue full for BTCUSDT"), unknown.error());
      refused.add(unknown.clientOrderId());
    }
    assertEquals(8, refused.size());
    // one that fitted goes on once the venue answers
    first.answer().complete(List.of(new Venue.Acknowledged(report("a"))));
    FakeVenue.SubmitCall next = venue.expectSubmit();
    assertEquals(1, next.orders().size());
    assertTrue(!refused.contains(ids(next).get(0)), "a refused order was sent: " + ids(next));
  }
}
