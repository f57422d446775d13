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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
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

  static Venue.Acknowledged acked(String id) {
    return new Venue.Acknowledged(report(id));
  }

  /** One desk's batch, answered to a probe of its own. */
  private TestProbe<Batcher.Outcomes> submit(ActorRef<Batcher.Command> batcher, String... ids) {
    TestProbe<Batcher.Outcomes> probe = testKit.createTestProbe();
    batcher.tell(new Batcher.SubmitBatch(Stream.of(ids).map(BatcherTest::order).toList(), probe.ref()));
    return probe;
  }

  private ActorRef<Batcher.Command> batcher(FakeVenue venue, boolean enabled, int maxSize, int parallelism, int queueSize) {
    return testKit.spawn(Batcher.create("BTCUSDT", venue, new Batcher.Settings(enabled, maxSize, NEVER, parallelism, queueSize)));
  }

  @Test
  void eachOrderGetsItsOwnResultFromTheBatchInOneMessage() {
    FakeVenue venue = new FakeVenue();
    // a full batch of two goes while the first is in flight; the linger never ends
    ActorRef<Batcher.Command> batcher = batcher(venue, true, 2, 4, 64);
    TestProbe<Batcher.Outcomes> a = submit(batcher, "a");
    FakeVenue.SubmitCall first = venue.expectSubmit();
    assertEquals(List.of("a"), ids(first));
    TestProbe<Batcher.Outcomes> bc = submit(batcher, "b", "c");
    FakeVenue.SubmitCall second = venue.expectSubmit();
    assertEquals(List.of(order("b"), order("c")), second.orders());

    second.answer().complete(List.of(new Venue.Refused("b", "MIN_QTY: no"), acked("c")));
    // one message for the venue call, one result per order in the order sent
    Batcher.Outcomes outcomes = bc.receiveMessage();
    assertEquals(List.of(new Venue.Refused("b", "MIN_QTY: no"), acked("c")), outcomes.results());
    assertNotNull(outcomes.sentAt());
    bc.expectNoMessage(Duration.ofMillis(50));

    first.answer().complete(List.of(acked("a")));
    assertEquals(List.of(acked("a")), a.receiveMessage().results());
  }

  @Test
  void oneVenueCallForTwoRepliersAnswersEachWithItsOwnMessage() {
    FakeVenue venue = new FakeVenue();
    ActorRef<Batcher.Command> batcher = batcher(venue, true, 2, 4, 64);
    submit(batcher, "a");
    venue.expectSubmit();
    TestProbe<Batcher.Outcomes> b = submit(batcher, "b");
    TestProbe<Batcher.Outcomes> c = submit(batcher, "c");
    FakeVenue.SubmitCall shared = venue.expectSubmit();
    assertEquals(List.of("b", "c"), ids(shared));
    shared.answer().complete(List.of(acked("b"), acked("c")));
    Batcher.Outcomes toB = b.receiveMessage();
    Batcher.Outcomes toC = c.receiveMessage();
    assertEquals(List.of(acked("b")), toB.results());
    assertEquals(List.of(acked("c")), toC.results());
    assertEquals(toB.sentAt(), toC.sentAt(), "both left in the same call");
  }

  @Test
  void aBatchLargerThanMaxSizeGoesInCallsOfAtMostMaxSizeEachAnsweredOnItsOwn() {
    FakeVenue venue = new FakeVenue();
    ActorRef<Batcher.Command> batcher = batcher(venue, true, 2, 4, 64);
    // keep the pipe busy so the batch below forms full calls
    TestProbe<Batcher.Outcomes> x = submit(batcher, "x");
    FakeVenue.SubmitCall busy = venue.expectSubmit();
    TestProbe<Batcher.Outcomes> probe = submit(batcher, "a", "b", "c", "d", "e");
    FakeVenue.SubmitCall one = venue.expectSubmit();
    FakeVenue.SubmitCall two = venue.expectSubmit();
    assertEquals(List.of("a", "b"), ids(one));
    assertEquals(List.of("c", "d"), ids(two));
    two.answer().complete(List.of(acked("c"), acked("d")));
    assertEquals(List.of(acked("c"), acked("d")), probe.receiveMessage().results());
    one.answer().complete(List.of(acked("a"), acked("b")));
    assertEquals(List.of(acked("a"), acked("b")), probe.receiveMessage().results());
    // e waits alone in the forming batch (the linger never ends) until nothing is in flight
    x.expectNoMessage(Duration.ofMillis(20));
    busy.answer().complete(List.of(acked("x")));
    assertEquals(List.of(acked("x")), x.receiveMessage().results());
    FakeVenue.SubmitCall last = venue.expectSubmit();
    assertEquals(List.of("e"), ids(last));
    last.answer().complete(List.of(acked("e")));
    assertEquals(List.of(acked("e")), probe.receiveMessage().results());
  }

  @Test
  void aDesksBatchOnAnIdleBatcherLeavesAsOneVenueCall() {
    FakeVenue venue = new FakeVenue();
    ActorRef<Batcher.Command> batcher = batcher(venue, true, 8, 4, 64);
    TestProbe<Batcher.Outcomes> probe = submit(batcher, "a", "b", "c");
    FakeVenue.SubmitCall call = venue.expectSubmit();
    assertEquals(List.of("a", "b", "c"), ids(call), "the class comment: a desk's batch normally leaves as one venue call");
    call.answer().complete(List.of(acked("a"), acked("b"), acked("c")));
    assertEquals(3, probe.receiveMessage().results().size());
  }

  @Test
  void aVenueFailureIsUnknownForEveryOrderOfTheBatch() {
    FakeVenue venue = new FakeVenue();
    ActorRef<Batcher.Command> batcher = batcher(venue, true, 2, 4, 64);
    TestProbe<Batcher.Outcomes> a = submit(batcher, "a");
    FakeVenue.SubmitCall first = venue.expectSubmit();
    TestProbe<Batcher.Outcomes> bc = submit(batcher, "b", "c");
    FakeVenue.SubmitCall second = venue.expectSubmit();
    assertEquals(List.of("b", "c"), ids(second));

    second.answer().completeExceptionally(new RuntimeException("connection reset"));
    List<Venue.SubmitResult> results = bc.receiveMessage().results();
    assertEquals(List.of("b", "c"), results.stream().map(Venue.SubmitResult::clientOrderId).toList());
    for (Venue.SubmitResult result : results) {
      Venue.Unknown unknown = assertInstanceOf(Venue.Unknown.class, result);
      assertTrue(unknown.error().contains("connection reset"), unknown.error());
    }

    // a venue answering the wrong number of results is unknown too, never mismatched
    first.answer().complete(List.of());
    Venue.Unknown unknownA = assertInstanceOf(Venue.Unknown.class, a.receiveMessage().results().get(0));
    assertEquals("a", unknownA.clientOrderId());
  }

  @Test
  void disabledBatchingSendsEveryOrderAlone() {
    FakeVenue venue = new FakeVenue();
    // with batching on, b and c would wait together for the (endless) linger
    ActorRef<Batcher.Command> batcher = batcher(venue, false, 8, 4, 64);
    TestProbe<Batcher.Outcomes> probe = submit(batcher, "a", "b", "c");
    FakeVenue.SubmitCall a = venue.expectSubmit();
    FakeVenue.SubmitCall b = venue.expectSubmit();
    FakeVenue.SubmitCall c = venue.expectSubmit();
    assertEquals(List.of(List.of("a"), List.of("b"), List.of("c")), List.of(ids(a), ids(b), ids(c)));
    // one message per venue call, so three for the desk's one batch
    b.answer().complete(List.of(acked("b")));
    assertEquals(List.of(acked("b")), probe.receiveMessage().results());
    a.answer().complete(List.of(acked("a")));
    c.answer().complete(List.of(acked("c")));
    Set<Venue.SubmitResult> rest = new HashSet<>(probe.receiveMessage().results());
    rest.addAll(probe.receiveMessage().results());
    assertEquals(Set.of(acked("a"), acked("c")), rest);
  }

  @Test
  void aBatchThatDoesNotFitTheQueueIsAnsweredUnknownAtOnceAndWhole() {
    FakeVenue venue = new FakeVenue();
    // parallelism 1, batches of 1, room for 2 queued orders: with a in flight, b fits, a batch of ten does not
    ActorRef<Batcher.Command> batcher = batcher(venue, true, 1, 1, 2);
    submit(batcher, "a");
    FakeVenue.SubmitCall first = venue.expectSubmit();
    TestProbe<Batcher.Outcomes> fits = submit(batcher, "b");
    TestProbe<Batcher.Outcomes> probe = submit(batcher, Stream.iterate(0, i -> i + 1).limit(10).map(i -> "x" + i).toArray(String[]::new));
    // the whole batch comes back refused in one message, before any venue call: its orders go in doubt, none is half sent
    List<Venue.SubmitResult> refusedResults = probe.receiveMessage().results();
    assertEquals(10, refusedResults.size());
    for (Venue.SubmitResult result : refusedResults) {
      Venue.Unknown unknown = assertInstanceOf(Venue.Unknown.class, result);
      assertTrue(unknown.error().contains("batcher queue full for BTCUSDT"), unknown.error());
    }
    // the one that fitted goes on once the venue answers, and is answered
    first.answer().complete(List.of(acked("a")));
    FakeVenue.SubmitCall next = venue.expectSubmit();
    assertEquals(List.of("b"), ids(next));
    next.answer().complete(List.of(acked("b")));
    assertEquals(List.of(acked("b")), fits.receiveMessage().results());
  }

}
