package io.sparkexec.queue;

import io.sparkexec.testing.ManualClock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.queue.DurableQueue.Ack;
import io.sparkexec.queue.DurableQueue.AckBatch;
import io.sparkexec.queue.DurableQueue.Acknowledgement;
import io.sparkexec.queue.DurableQueue.AckedBatch;
import io.sparkexec.queue.DurableQueue.Acked;
import io.sparkexec.queue.DurableQueue.Claim;
import io.sparkexec.queue.DurableQueue.ClaimNotHeld;
import io.sparkexec.queue.DurableQueue.Claimed;
import io.sparkexec.queue.DurableQueue.ClaimedJob;
import io.sparkexec.queue.DurableQueue.Command;
import io.sparkexec.queue.DurableQueue.DeadLetterKey;
import io.sparkexec.queue.DurableQueue.DeadLetterSelection;
import io.sparkexec.queue.DurableQueue.DeadLettersChanged;
import io.sparkexec.queue.DurableQueue.DeadLettersDropped;
import io.sparkexec.queue.DurableQueue.DeadLettersPurged;
import io.sparkexec.queue.DurableQueue.PurgeDeadLetters;
import io.sparkexec.queue.DurableQueue.QueueFull;
import io.sparkexec.queue.DurableQueue.RedriveDeadLetters;
import io.sparkexec.queue.DurableQueue.UnknownJob;
import io.sparkexec.queue.DurableQueue.DeadLetter;
import io.sparkexec.queue.DurableQueue.DeadLetters;
import io.sparkexec.queue.DurableQueue.Enqueue;
import io.sparkexec.queue.DurableQueue.EnqueueBatch;
import io.sparkexec.queue.DurableQueue.Enqueued;
import io.sparkexec.queue.DurableQueue.Event;
import io.sparkexec.queue.DurableQueue.ExpireClaims;
import io.sparkexec.queue.DurableQueue.Failure;
import io.sparkexec.queue.DurableQueue.GetDeadLetters;
import io.sparkexec.queue.DurableQueue.GetStats;
import io.sparkexec.queue.DurableQueue.Job;
import io.sparkexec.queue.DurableQueue.JobAcked;
import io.sparkexec.queue.DurableQueue.JobsAcked;
import io.sparkexec.queue.DurableQueue.JobsClaimed;
import io.sparkexec.queue.DurableQueue.JobsDeadLettered;
import io.sparkexec.queue.DurableQueue.JobsEnqueued;
import io.sparkexec.queue.DurableQueue.JobsReleased;
import io.sparkexec.queue.DurableQueue.Nack;
import io.sparkexec.queue.DurableQueue.Nacked;
import io.sparkexec.queue.DurableQueue.NewJob;
import io.sparkexec.queue.DurableQueue.Reply;
import io.sparkexec.queue.DurableQueue.State;
import io.sparkexec.queue.DurableQueue.Stats;
import io.sparkexec.CborSerializable;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class DurableQueueTest {

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withName("DurableQueueTest")
      .withCustomConfig(EventSourcedBehaviorTestKit.config().withFallback(ActorTestKit.applicationTestConfig()))
      .build();

  static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  static final Duration VISIBILITY = Duration.ofSeconds(10);
  private static final AtomicInteger names = new AtomicInteger();

  /** A clock the test moves by hand; the queue reads it from its own thread. */
  /** One queue under test, on its own persistence id. */
  final class Fixture {
    final ManualClock clock = new ManualClock(T0);
    final EventSourcedBehaviorTestKit<Command, Event, State> kit;

    Fixture(int maxDeliveries, int dedupeWindow, int snapshotEvery) {
      this(maxDeliveries, dedupeWindow, snapshotEvery, 1000, 1000);
    }

    Fixture(int maxDeliveries, int dedupeWindow, int snapshotEvery, int maxDepth, int maxDeadLetters) {
      // the tick never fires within a test: the tests send ExpireClaims themselves
      DurableQueue.Settings settings = new DurableQueue.Settings("q" + names.incrementAndGet(), VISIBILITY, Duration.ofHours(12), maxDeliveries,
          dedupeWindow, snapshotEvery, 100, 100, maxDepth, Duration.ofSeconds(5), maxDeadLetters, 100, Duration.ofHours(1), Duration.ofSeconds(5));
      kit = EventSourcedBehaviorTestKit.create(testKit.system(), DurableQueue.create(settings, clock));
    }

    Fixture() {
      this(3, 100, 1000);
    }

    Enqueued enqueue(String... ids) {
      List<NewJob> jobs = java.util.Arrays.stream(ids).map(id -> new NewJob(id, "{\"id\":\"" + id + "\"}")).toList();
      return (Enqueued) kit.<Reply>runCommand(replyTo -> new EnqueueBatch(jobs, replyTo)).reply();
    }

    List<ClaimedJob> claim(int max) {
      return ((Claimed) kit.<Reply>runCommand(replyTo -> new Claim(max, VISIBILITY, replyTo)).reply()).jobs();
    }

    ClaimedJob claimOne(String expectedId) {
      List<ClaimedJob> jobs = claim(1);
      assertEquals(1, jobs.size());
      assertEquals(expectedId, jobs.get(0).jobId());
      return jobs.get(0);
    }

    Reply nack(ClaimedJob job, String error) {
      return kit.<Reply>runCommand(replyTo -> new Nack(job.jobId(), job.claimToken(), error, replyTo)).reply();
    }

    Stats stats() {
      return (Stats) kit.<Reply>runCommand(GetStats::new).reply();
    }

    /** Jobs whose data names a strategy (null: none), given as id, strategy, id, strategy... */
    Reply enqueueFor(String... idsAndStrategies) {
      List<NewJob> jobs = new java.util.ArrayList<>();
      for (int i = 0; i < idsAndStrategies.length; i += 2) {
        String strategy = idsAndStrategies[i + 1];
        jobs.add(new NewJob(idsAndStrategies[i], strategy == null ? "{\"n\":1}" : "{\"strategy\":\"" + strategy + "\"}"));
      }
      return kit.<Reply>runCommand(replyTo -> new EnqueueBatch(jobs, replyTo)).reply();
    }

    List<String> claimIds(int max, Set<String> strategies) {
      return ((Claimed) kit.<Reply>runCommand(replyTo -> new Claim(max, VISIBILITY, strategies, replyTo)).reply()).jobs().stream()
          .map(ClaimedJob::jobId).toList();
    }

    /** Claims every ready job unscoped and dead-letters it. */
    void deadLetterAll() {
      for (ClaimedJob j : claim(100)) kit.<Reply>runCommand(replyTo -> new DeadLetter(j.jobId(), j.claimToken(), "bad", replyTo));
    }

    DeadLetters page(Set<String> strategies, DeadLetterKey after, int limit) {
      return (DeadLetters) kit.<Reply>runCommand(replyTo -> new GetDeadLetters(strategies, after, limit, replyTo)).reply();
    }
  }

  @Test
  void aScopedClaimTakesOnlyItsStrategiesJobsInLineOrder() {
    Fixture f = new Fixture();
    f.enqueueFor("b1", "beta", "a1", "alpha", "n1", null, "b2", "beta", "a2", "alpha", "g1", "gamma");
    assertEquals(List.of("a1"), f.claimIds(1, Set.of("alpha")));
    // two strategies: their lines merged in the order of the whole line
    assertEquals(List.of("b1", "b2", "a2"), f.claimIds(10, Set.of("alpha", "beta")));
    assertEquals(List.of(), f.claimIds(10, Set.of("alpha", "beta")));
    // a job naming no strategy is only for unscoped callers
    assertEquals(List.of("n1", "g1"), f.claimIds(10, null));
    assertEquals(new Stats(0, 6, 0, 0), f.stats());
    assertEquals(f.kit.getState(), f.kit.restart().state());
  }

  @Test
  void anotherStrategysJobIsUnknownToAckAndNack() {
    Fixture f = new Fixture();
    f.enqueueFor("b1", "beta");
    ClaimedJob b1 = f.claimOne("b1");
    var ack = f.kit.<Reply>runCommand(replyTo -> new Ack("b1", b1.claimToken(), Set.of("alpha"), replyTo));
    assertEquals(new UnknownJob("b1"), ack.reply());
    assertTrue(ack.hasNoEvents());
    var nack = f.kit.<Reply>runCommand(replyTo -> new Nack("b1", b1.claimToken(), "x", Set.of("alpha"), replyTo));
    assertEquals(new UnknownJob("b1"), nack.reply());
    assertTrue(nack.hasNoEvents());
    // the same answer as a job that never existed
    assertEquals(new UnknownJob("zz"), f.kit.<Reply>runCommand(replyTo -> new Ack("zz", b1.claimToken(), Set.of("alpha"), replyTo)).reply());
    // beta's own key: a wrong token is a claim not held, the right one acks
    assertEquals(new ClaimNotHeld("b1"), f.kit.<Reply>runCommand(replyTo -> new Ack("b1", "other", Set.of("beta"), replyTo)).reply());
    assertEquals(new Acked("b1"), f.kit.<Reply>runCommand(replyTo -> new Ack("b1", b1.claimToken(), Set.of("beta"), replyTo)).reply());
  }

  @Test
  void anEnqueuePastMaxDepthIsRefusedWholeAndJournalsNothing() {
    Fixture f = new Fixture(3, 100, 1000, 3, 1000);
    f.enqueue("a", "b");
    f.claimOne("a");
    var full = f.kit.<Reply>runCommand(replyTo -> new EnqueueBatch(List.of(new NewJob("c", "1"), new NewJob("d", "1")), replyTo));
    assertEquals(new QueueFull(2, 3), full.reply());
    assertTrue(full.hasNoEvents());
    // duplicates alone still answer: they add nothing
    assertEquals(new Enqueued(List.of(), List.of("b")), f.enqueue("b"));
    assertEquals(new Enqueued(List.of("c"), List.of()), f.enqueue("c"));
  }

  @Test
  void pastMaxDeadLettersTheOldestAreDroppedAndTheDropIsJournaled() {
    Fixture f = new Fixture(3, 100, 1000, 1000, 2);
    f.enqueue("a", "b", "c");
    f.deadLetterAll();
    assertEquals(List.of("b", "c"), List.copyOf(f.kit.getState().deadLetters().keySet()));
    assertEquals(f.kit.getState(), f.kit.restart().state());
    f.enqueue("d");
    ClaimedJob d = f.claimOne("d");
    var dead = f.kit.<Reply>runCommand(replyTo -> new DeadLetter("d", d.claimToken(), "bad", replyTo));
    assertEquals(new DeadLettersDropped(List.of("b")), dead.events().get(dead.events().size() - 1));
    assertEquals(List.of("c", "d"), List.copyOf(dead.state().deadLetters().keySet()));
  }

  @Test
  void deadLetterPagesListEachJobOnceInStrategyThenIdOrder() {
    Fixture f = new Fixture();
    f.enqueueFor("b2", "beta", "a3", "alpha", "n1", null, "a1", "alpha", "b1", "beta", "a2", "alpha");
    f.deadLetterAll();
    List<String> seen = new java.util.ArrayList<>();
    DeadLetterKey after = null;
    do {
      DeadLetters page = f.page(null, after, 2);
      assertEquals(6, page.total());
      assertTrue(page.jobs().size() <= 2);
      page.jobs().forEach(j -> seen.add(j.jobId()));
      after = page.next();
    } while (after != null);
    assertEquals(List.of("n1", "a1", "a2", "a3", "b1", "b2"), seen);

    DeadLetters alpha = f.page(Set.of("alpha"), null, 2);
    assertEquals(List.of("a1", "a2"), alpha.jobs().stream().map(Job::jobId).toList());
    assertEquals(3, alpha.total());
    DeadLetters rest = f.page(Set.of("alpha"), DeadLetterKey.fromCursor(alpha.next().cursor()), 2);
    assertEquals(List.of("a3"), rest.jobs().stream().map(Job::jobId).toList());
    assertEquals(null, rest.next());
  }

  @Test
  void purgeAndRedriveTakeOnlyTheSelectionAndSurviveARestart() {
    Fixture f = new Fixture(3, 100, 1000, 4, 1000);
    f.enqueueFor("a1", "alpha", "a2", "alpha", "b1", "beta", "b2", "beta");
    f.deadLetterAll();
    // alpha's key cannot purge beta's: not found, nothing journaled
    var foreign = f.kit.<Reply>runCommand(replyTo -> new PurgeDeadLetters(new DeadLetterSelection(List.of("b1"), null, Set.of("alpha")), replyTo));
    assertEquals(new DeadLettersChanged(List.of(), List.of("b1")), foreign.reply());
    assertTrue(foreign.hasNoEvents());
    var purged = f.kit.<Reply>runCommand(replyTo -> new PurgeDeadLetters(new DeadLetterSelection(null, "beta", null), replyTo));
    assertEquals(new DeadLettersChanged(List.of("b1", "b2"), List.of()), purged.reply());
    assertEquals(List.of(new DeadLettersPurged(List.of("b1", "b2"))), purged.events());
    var redriven = f.kit.<Reply>runCommand(replyTo -> new RedriveDeadLetters(new DeadLetterSelection(List.of("a2", "b1"), null, null), replyTo));
    assertEquals(new DeadLettersChanged(List.of("a2"), List.of("b1")), redriven.reply());
    assertEquals(List.of("a2"), redriven.state().readyOrder());
    assertEquals(0, redriven.state().ready().get("a2").deliveries());
    assertEquals(List.of("a1"), List.copyOf(redriven.state().deadLetters().keySet()));
    assertEquals(f.kit.getState(), f.kit.restart().state());
    // redriving past max-depth is refused whole
    f.enqueue("x", "y", "z");
    var full = f.kit.<Reply>runCommand(replyTo -> new RedriveDeadLetters(new DeadLetterSelection(null, null, null), replyTo));
    assertEquals(new QueueFull(4, 4), full.reply());
    assertTrue(full.hasNoEvents());
  }

  @Test
  void enqueueJournalsNewJobsInOrderAndRepliesWithThem() {
    Fixture f = new Fixture();
    var result = f.kit.<Reply>runCommand(replyTo -> new Enqueue(new NewJob("a", "{\"x\":1}"), replyTo));
    assertEquals(new Enqueued(List.of("a"), List.of()), result.reply());
    assertEquals(List.of(new JobsEnqueued(List.of(new NewJob("a", "{\"x\":1}")), T0)), result.events());
    assertEquals(new Enqueued(List.of("b", "c"), List.of()), f.enqueue("b", "c"));
    assertEquals(List.of("a", "b", "c"), f.kit.getState().readyOrder());
  }

  @Test
  void deadLetterMovesAClaimedJobToTheDeadLettersAtOnceWithItsReason() {
    Fixture f = new Fixture();
    f.enqueue("a");
    ClaimedJob a = f.claimOne("a");
    var wrongClaim = f.kit.<Reply>runCommand(replyTo -> new DeadLetter("a", "not-the-claim", "bad", replyTo));
    assertEquals(new ClaimNotHeld("a"), wrongClaim.reply());
    assertTrue(wrongClaim.hasNoEvents());
    var dead = f.kit.<Reply>runCommand(replyTo -> new DeadLetter("a", a.claimToken(), "REQUIRED (symbol): symbol is required", replyTo));
    assertEquals(new Nacked("a", true), dead.reply());
    assertEquals(List.of(new JobsDeadLettered(List.of(new Failure("a", "REQUIRED (symbol): symbol is required")), T0)), dead.events());
    Job job = f.kit.getState().deadLetters().get("a");
    assertEquals(1, job.deliveries(), "first of 3 deliveries, dead-lettered anyway");
    assertEquals(new Stats(0, 0, 1, 0), f.stats());
    assertEquals(f.kit.getState().deadLetters(), f.kit.restart().state().deadLetters());
  }

  @Test
  void ackBatchAcksTheHeldClaimsInOneEventAndNamesTheRest() {
    Fixture f = new Fixture();
    f.enqueue("a", "b", "c");
    List<ClaimedJob> jobs = f.claim(2);
    var result = f.kit.<Reply>runCommand(replyTo -> new AckBatch(List.of(new Acknowledgement("a", jobs.get(0).claimToken()),
        new Acknowledgement("b", jobs.get(1).claimToken()), new Acknowledgement("c", "no-claim")), replyTo));
    assertEquals(new AckedBatch(List.of("a", "b"), List.of("c")), result.reply());
    assertEquals(List.of(new JobsAcked(List.of("a", "b"))), result.events());
    assertEquals(new Stats(1, 0, 0, 0), f.stats());
    assertEquals(f.kit.getState().readyOrder(), f.kit.restart().state().readyOrder());
    assertTrue(f.kit.getState().inFlight().isEmpty());
  }

  @Test
  void enqueueIsIdempotentByJobIdAndADuplicateJournalsNothing() {
    Fixture f = new Fixture();
    f.enqueue("a");
    var again = f.kit.<Reply>runCommand(replyTo -> new Enqueue(new NewJob("a", "{\"other\":true}"), replyTo));
    assertEquals(new Enqueued(List.of(), List.of("a")), again.reply());
    assertTrue(again.hasNoEvents());
    // within a batch too: the first occurrence wins
    assertEquals(new Enqueued(List.of("b", "c"), List.of("b", "a")), f.enqueue("b", "c", "b", "a"));
    // still a duplicate while in flight, after the ack only within the window
    ClaimedJob a = f.claimOne("a");
    assertEquals(new Enqueued(List.of(), List.of("a")), f.enqueue("a"));
    f.kit.<Reply>runCommand(replyTo -> new Ack("a", a.claimToken(), replyTo));
    assertEquals(new Enqueued(List.of(), List.of("a")), f.enqueue("a"));
  }

  @Test
  void theDedupeWindowForgetsTheOldestAckedIds() {
    Fixture f = new Fixture(3, 2, 1000);
    f.enqueue("a");
    ClaimedJob a = f.claimOne("a");
    f.kit.<Reply>runCommand(replyTo -> new Ack("a", a.claimToken(), replyTo));
    f.enqueue("b", "c");
    // "a" fell out of the last two ids and is gone from the queue: enqueued anew
    assertEquals(new Enqueued(List.of("a"), List.of()), f.enqueue("a"));
    // "b" is ready, so it stays a duplicate although the window moved past it
    assertEquals(new Enqueued(List.of(), List.of("b")), f.enqueue("b"));
  }

  @Test
  void claimsHandOutFirstDeliveriesInEnqueueOrder() {
    Fixture f = new Fixture();
    f.enqueue("a", "b", "c");
    var result = f.kit.<Reply>runCommand(replyTo -> new Claim(2, VISIBILITY, replyTo));
    List<ClaimedJob> jobs = ((Claimed) result.reply()).jobs();
    assertEquals(List.of("a", "b"), jobs.stream().map(ClaimedJob::jobId).toList());
    assertEquals(List.of(1, 1), jobs.stream().map(ClaimedJob::delivery).toList());
    assertEquals("{\"id\":\"a\"}", jobs.get(0).data());
    assertEquals(T0.plus(VISIBILITY), jobs.get(0).visibleAgainAt());
    assertEquals(List.of(new JobsClaimed(List.of("a", "b"), jobs.get(0).claimToken(), T0.plus(VISIBILITY))), result.events());
    assertEquals(List.of("c"), f.claim(5).stream().map(ClaimedJob::jobId).toList());
    var empty = f.kit.<Reply>runCommand(replyTo -> new Claim(5, VISIBILITY, replyTo));
    assertEquals(new Claimed(List.of()), empty.reply());
    assertTrue(empty.hasNoEvents());
  }

  @Test
  void ackRemovesTheJobOnlyUnderItsClaimToken() {
    Fixture f = new Fixture();
    f.enqueue("a");
    ClaimedJob a = f.claimOne("a");
    var wrong = f.kit.<Reply>runCommand(replyTo -> new Ack("a", "not-the-token", replyTo));
    assertEquals(new ClaimNotHeld("a"), wrong.reply());
    assertTrue(wrong.hasNoEvents());
    var ack = f.kit.<Reply>runCommand(replyTo -> new Ack("a", a.claimToken(), replyTo));
    assertEquals(new Acked("a"), ack.reply());
    assertEquals(List.of(new JobAcked("a")), ack.events());
    assertTrue(ack.state().inFlight().isEmpty());
    assertTrue(ack.state().ready().isEmpty());
    // acked: gone from the queue, so unknown (the answer another strategy's job gets too)
    assertEquals(new UnknownJob("a"), f.kit.<Reply>runCommand(replyTo -> new Ack("a", a.claimToken(), replyTo)).reply());
  }

  @Test
  void aNackedJobGoesToTheBackOfTheReadyLineWithItsError() {
    Fixture f = new Fixture();
    f.enqueue("a", "b");
    ClaimedJob a = f.claimOne("a");
    var nack = f.kit.<Reply>runCommand(replyTo -> new Nack("a", a.claimToken(), "boom", replyTo));
    assertEquals(new Nacked("a", false), nack.reply());
    assertEquals(List.of(new JobsReleased(List.of(new Failure("a", "boom")))), nack.events());
    assertEquals(List.of("b", "a"), nack.state().readyOrder());
    assertEquals("boom", nack.state().ready().get("a").lastError());
    f.claimOne("b");
    assertEquals(2, f.claimOne("a").delivery());
    assertEquals(new ClaimNotHeld("a"), f.nack(a, "stale token"));
  }

  @Test
  void aClaimNotAckedWithinItsVisibilityTimeoutBecomesVisibleAgain() {
    Fixture f = new Fixture();
    f.enqueue("a");
    ClaimedJob first = f.claimOne("a");
    f.clock.advance(VISIBILITY.minusMillis(1));
    assertTrue(f.kit.runCommand(ExpireClaims.INSTANCE).hasNoEvents());
    assertEquals(List.of(), f.claim(1));
    f.clock.advance(Duration.ofMillis(1));
    var expiry = f.kit.runCommand(ExpireClaims.INSTANCE);
    assertEquals(List.of(new JobsReleased(List.of(new Failure("a", DurableQueue.EXPIRED)))), expiry.events());
    assertEquals(new Stats(1, 0, 0, VISIBILITY.toSeconds()), f.stats());
    ClaimedJob second = f.claimOne("a");
    assertEquals(2, second.delivery());
    // the late consumer's ack no longer holds
    assertEquals(new ClaimNotHeld("a"), f.kit.<Reply>runCommand(replyTo -> new Ack("a", first.claimToken(), replyTo)).reply());
  }

  @Test
  void theLastFailedDeliveryDeadLettersTheJobWithItsLastError() {
    Fixture f = new Fixture(2, 100, 1000);
    f.enqueue("a", "b");
    ClaimedJob a1 = f.claimOne("a");
    assertEquals(new Nacked("a", false), f.nack(a1, "first"));
    f.claimOne("b");
    f.claimOne("a");
    f.clock.advance(VISIBILITY);
    // both claims ran out: b has a delivery left, a has none
    var expiry = f.kit.runCommand(ExpireClaims.INSTANCE);
    assertEquals(List.of(new JobsReleased(List.of(new Failure("b", DurableQueue.EXPIRED))),
        new JobsDeadLettered(List.of(new Failure("a", DurableQueue.EXPIRED)), T0.plus(VISIBILITY))), expiry.events());
    DeadLetters dead = (DeadLetters) f.kit.<Reply>runCommand(GetDeadLetters::new).reply();
    assertEquals(1, dead.jobs().size());
    assertEquals(new DurableQueue.Job("a", "{\"id\":\"a\"}", T0, 2, DurableQueue.EXPIRED, null), dead.jobs().get(0));
    ClaimedJob b2 = f.claimOne("b");
    var nack = f.kit.<Reply>runCommand(replyTo -> new Nack("b", b2.claimToken(), "still failing", replyTo));
    assertEquals(new Nacked("b", true), nack.reply());
    assertEquals("still failing", nack.state().deadLetters().get("b").lastError());
    assertEquals(new Stats(0, 0, 2, 0), f.stats());
    assertEquals(1, dead.jobs().size(), "the reply was a copy: it stays as it was while the queue moves on");
    // dead letters are remembered: the same job id is not enqueued again
    assertEquals(new Enqueued(List.of(), List.of("a")), f.enqueue("a"));
  }

  @Test
  void statsCountEachPlaceAndAgeTheOldestReadyJob() {
    Fixture f = new Fixture();
    assertEquals(new Stats(0, 0, 0, 0), f.stats());
    f.enqueue("a");
    f.clock.advance(Duration.ofSeconds(30));
    f.enqueue("b", "c");
    f.clock.advance(Duration.ofSeconds(5));
    assertEquals(new Stats(3, 0, 0, 35), f.stats());
    f.claimOne("a");
    assertEquals(new Stats(2, 1, 0, 5), f.stats());
  }

  @Test
  void restartRecoversAnEqualStateJournalOnly() {
    restartRecoversAnEqualState(new Fixture(2, 100, 1000));
  }

  @Test
  void restartRecoversAnEqualStateFromSnapshots() {
    restartRecoversAnEqualState(new Fixture(2, 100, 3));
  }

  /** A mixed history whose oldest ready job is not at the front of the line; the restart must rebuild that too. */
  private void restartRecoversAnEqualState(Fixture f) {
    f.enqueue("a");
    f.clock.advance(Duration.ofSeconds(20));
    f.enqueue("b", "c", "d", "e");
    f.nack(f.claimOne("a"), "boom");
    ClaimedJob b = f.claimOne("b");
    f.kit.<Reply>runCommand(replyTo -> new Ack("b", b.claimToken(), replyTo));
    f.claimOne("c");
    f.clock.advance(VISIBILITY);
    f.kit.runCommand(ExpireClaims.INSTANCE);
    f.claimOne("d");
    State before = f.kit.getState();
    assertEquals(List.of("e", "a", "c"), before.readyOrder());
    assertEquals(new Stats(3, 1, 0, 30), f.stats(), "a, enqueued first, is the oldest ready job though e is ahead of it");

    var restarted = f.kit.restart();
    assertEquals(before, restarted.state());
    assertEquals(new Stats(3, 1, 0, 30), f.stats());
    // the claim on d survived the restart with its deadline: in flight until then, visible after
    assertTrue(f.kit.runCommand(ExpireClaims.INSTANCE).hasNoEvents());
    f.clock.advance(VISIBILITY);
    assertFalse(f.kit.runCommand(ExpireClaims.INSTANCE).hasNoEvents());
    assertEquals(List.of("e", "a", "c", "d"), f.kit.getState().readyOrder());
    // the line moves on from the recovered state: claims take the front, the age follows the oldest left
    f.claimOne("e");
    f.claimOne("a");
    assertEquals(new Stats(2, 2, 0, 20), f.stats());
  }

  @Test
  void theDedupeWindowEvictsTheOldestIdAtItsBoundAndKeepsItAcrossARestart() {
    Fixture f = new Fixture(3, 3, 2);
    for (String id : List.of("a", "b", "c")) {
      f.enqueue(id);
      ClaimedJob job = f.claimOne(id);
      f.kit.<Reply>runCommand(replyTo -> new Ack(id, job.claimToken(), replyTo));
    }
    // a, b, c have left the queue and fill the window; d pushes a, the oldest, out
    f.enqueue("d");
    f.kit.restart();
    assertEquals(new Enqueued(List.of(), List.of("b", "c")), f.enqueue("b", "c"));
    assertEquals(new Enqueued(List.of("a"), List.of()), f.enqueue("a"));
    // the window came back in its order: a's return pushed b out, the oldest now
    assertEquals(new Enqueued(List.of("b"), List.of()), f.enqueue("b"));
  }

  /** Pekko recovers again from the empty state it was given once, after a failed write too: the write's event must not stay in it. */
  @Test
  void aFailedWriteLeavesNoTraceInTheStateRecoveredAfterIt() {
    Fixture f = new Fixture();
    f.kit.persistenceTestKit().failNextPersisted();
    var failed = f.kit.runCommand(new Enqueue(new NewJob("a", "{}"), testKit.<Reply>createTestProbe().ref()));
    assertTrue(failed.hasNoEvents());
    assertEquals(List.of(), failed.state().readyOrder());
    assertEquals(new Enqueued(List.of("a"), List.of()), f.enqueue("a"));
  }

  /** What the queue journaled as a snapshot before its state became mutable (the record's four collections). */
  record RecordShapedState(LinkedHashMap<String, Job> ready, LinkedHashMap<String, DurableQueue.InFlight> inFlight,
      LinkedHashMap<String, Job> deadLetters, LinkedHashSet<String> recentIds) implements CborSerializable {}

  /** A job as snapshotted before jobs carried their strategy. */
  record JobWithoutStrategy(String jobId, String data, Instant enqueuedAt, int deliveries, String lastError) implements CborSerializable {}

  record OldState(LinkedHashMap<String, JobWithoutStrategy> ready, LinkedHashMap<String, DurableQueue.InFlight> inFlight,
      LinkedHashMap<String, JobWithoutStrategy> deadLetters, LinkedHashSet<String> recentIds) implements CborSerializable {}

  @Test
  void aSnapshotWithoutStrategiesLoadsWithTheStrategyReadFromTheData() {
    Fixture f = new Fixture();
    f.enqueueFor("a1", "alpha", "b1", "beta");
    f.deadLetterAll();
    f.enqueueFor("a2", "alpha");
    LinkedHashMap<String, JobWithoutStrategy> ready = new LinkedHashMap<>();
    f.kit.getState().ready().forEach((id, j) -> ready.put(id, new JobWithoutStrategy(id, j.data(), j.enqueuedAt(), j.deliveries(), j.lastError())));
    LinkedHashMap<String, JobWithoutStrategy> dead = new LinkedHashMap<>();
    f.kit.getState().deadLetters().forEach((id, j) -> dead.put(id, new JobWithoutStrategy(id, j.data(), j.enqueuedAt(), j.deliveries(), j.lastError())));
    OldState old = new OldState(ready, new LinkedHashMap<>(), dead, new LinkedHashSet<>(List.of("a1", "b1", "a2")));

    Serialization serialization = SerializationExtension.get(testKit.system().classicSystem());
    Serializer serializer = serialization.findSerializerFor(old);
    State loaded = (State) serialization.deserialize(serializer.toBinary(old), serializer.identifier(), State.class.getName()).get();
    assertEquals(f.kit.getState(), loaded);
    assertEquals("alpha", loaded.ready().get("a2").strategy());
    assertEquals(List.of("a2"), loaded.nextReady(Set.of("alpha"), 5));
    assertEquals(1, loaded.deadLetterCount(Set.of("beta")));
  }

  @Test
  void aSnapshotOfTheRecordShapedStateStillLoads() {
    Fixture f = new Fixture(2, 100, 3);
    f.enqueue("a", "b", "c");
    ClaimedJob a = f.claimOne("a");
    f.kit.<Reply>runCommand(replyTo -> new DeadLetter("a", a.claimToken(), "bad", replyTo));
    f.claimOne("b");
    State live = f.kit.getState();
    RecordShapedState old = new RecordShapedState(new LinkedHashMap<>(live.ready()), new LinkedHashMap<>(live.inFlight()),
        new LinkedHashMap<>(live.deadLetters()), new LinkedHashSet<>(List.of("a", "b", "c")));

    Serialization serialization = SerializationExtension.get(testKit.system().classicSystem());
    Serializer serializer = serialization.findSerializerFor(old);
    Object loaded = serialization.deserialize(serializer.toBinary(old), serializer.identifier(), State.class.getName()).get();
    assertEquals(live, loaded);
  }
}
