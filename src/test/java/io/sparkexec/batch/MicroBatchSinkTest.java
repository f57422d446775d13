package io.sparkexec.batch;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** Batching decisions with a dispatch the test answers by hand; asserts counts and order, never durations. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class MicroBatchSinkTest {

  @JUnit5TestKit
  final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("MicroBatchSinkTest").build();

  private static final Duration NEVER = Duration.ofHours(1);
  private static final Duration AWAIT = Duration.ofSeconds(10);

  /** An element and when it was enqueued (the linger clock). */
  record Element(int n, long enqueuedAtNanos) {}

  /** The dispatch function: records every batch with an open future, and the most in flight at once. */
  static final class Dispatcher {
    final List<List<Integer>> batches = new CopyOnWriteArrayList<>();
    final List<CompletableFuture<Void>> answers = new CopyOnWriteArrayList<>();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();

    CompletableFuture<Void> dispatch(List<Element> batch) {
      maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      CompletableFuture<Void> answer = new CompletableFuture<>();
      answers.add(answer);
      batches.add(batch.stream().map(Element::n).toList());
      return answer.whenComplete((v, e) -> inFlight.decrementAndGet());
    }

    void awaitBatches(int count) {
      await().atMost(AWAIT).until(() -> batches.size() >= count);
      assertEquals(count, batches.size(), "batches: " + batches);
    }

    void complete(int batchIndex) {
      answers.get(batchIndex).complete(null);
    }
  }

  private BoundedSourceQueue<List<Element>> run(int bufferSize, int maxSize, Duration linger, int parallelism, Dispatcher d) {
    return Source.<List<Element>>queue(bufferSize)
        .to(Sink.fromGraph(new MicroBatchSink<>(maxSize, linger, parallelism, Element::enqueuedAtNanos, d::dispatch)))
        .run(testKit.system());
  }

  private static void offer(BoundedSourceQueue<List<Element>> q, int... ns) {
    for (int n : ns) assertEquals(QueueOfferResult.enqueued(), q.offer(List.of(new Element(n, System.nanoTime()))), "offer " + n);
  }

  /** One chunk: what a desk hands over at once. */
  private static void offerChunk(BoundedSourceQueue<List<Element>> q, int... ns) {
    List<Element> chunk = new java.util.ArrayList<>();
    for (int n : ns) chunk.add(new Element(n, System.nanoTime()));
    assertEquals(QueueOfferResult.enqueued(), q.offer(chunk));
  }

  @Test
  void aChunkOnAnIdleSinkLeavesAsOneBatchAndALargerOneInPiecesOfMaxSize() {
    Dispatcher d = new Dispatcher();
    BoundedSourceQueue<List<Element>> q = run(16, 3, NEVER, 4, d);
    offerChunk(q, 1, 2);
    d.awaitBatches(1);
    assertEquals(List.of(1, 2), d.batches.get(0), "one desk batch, one venue call");
    offerChunk(q, 3, 4, 5, 6, 7);
    d.awaitBatches(2);
    assertEquals(List.of(3, 4, 5), d.batches.get(1));
    // 6 and 7 wait: batches are in flight and the linger is long; once none is, they go
    d.complete(0);
    d.complete(1);
    d.awaitBatches(3);
    assertEquals(List.of(6, 7), d.batches.get(2));
  }

  @Test
  void loneElementGoesAtOnceWhenNothingIsInFlight() {
    Dispatcher d = new Dispatcher();
    BoundedSourceQueue<List<Element>> q = run(16, 8, NEVER, 2, d);
    offer(q, 1);
    d.awaitBatches(1);
    assertEquals(List.of(1), d.batches.get(0));
    // answered: the next lone element goes at once too, despite a linger of an hour
    d.complete(0);
    await().atMost(AWAIT).until(() -> d.inFlight.get() == 0);
    offer(q, 2);
    d.awaitBatches(2);
    assertEquals(List.of(2), d.batches.get(1));
  }

  @Test
  void whileOneBatchIsInFlightTheNextGoesWhenFull() {
    Dispatcher d = new Dispatcher();
    BoundedSourceQueue<List<Element>> q = run(16, 3, NEVER, 4, d);
    offer(q, 1);
    d.awaitBatches(1);
    offer(q, 2, 3, 4, 5);
    d.awaitBatches(2);
    assertEquals(List.of(2, 3, 4), d.batches.get(1));
    // 5 waits in the forming batch: not full, linger not over, batches in flight; it goes with the next ones
    offer(q, 6, 7);
    d.awaitBatches(3);
    assertEquals(List.of(5, 6, 7), d.batches.get(2));
  }

  @Test
  void whileOneBatchIsInFlightAPartialBatchGoesWhenTheLingerEnds() {
    Dispatcher d = new Dispatcher();
    BoundedSourceQueue<List<Element>> q = run(16, 100, Duration.ofSeconds(1), 4, d);
    offer(q, 1);
    d.awaitBatches(1);
    offer(q, 2, 3);
    d.awaitBatches(2);
    assertEquals(List.of(2, 3), d.batches.get(1));
    assertEquals(2, d.inFlight.get(), "sent on the timer while the first batch was still in flight");
  }

  @Test
  void anElementOlderThanTheLingerIsDueAtOnce() {
    Dispatcher d = new Dispatcher();
    BoundedSourceQueue<List<Element>> q = run(16, 100, NEVER, 4, d);
    offer(q, 1);
    d.awaitBatches(1);
    q.offer(List.of(new Element(2, System.nanoTime() - NEVER.toNanos())));
    d.awaitBatches(2);
    assertEquals(List.of(2), d.batches.get(1));
  }

  @Test
  void neverMoreThanParallelismInFlight() {
    Dispatcher d = new Dispatcher();
    BoundedSourceQueue<List<Element>> q = run(16, 1, Duration.ZERO, 2, d);
    offer(q, 1, 2, 3, 4, 5);
    d.awaitBatches(2);
    for (int i = 0; i < 3; i++) {
      d.complete(i);
      d.awaitBatches(3 + i);
      assertEquals(2, d.inFlight.get());
    }
    d.complete(3);
    d.complete(4);
    await().atMost(AWAIT).until(() -> d.inFlight.get() == 0);
    assertEquals(List.of(List.of(1), List.of(2), List.of(3), List.of(4), List.of(5)), d.batches);
    assertEquals(2, d.maxInFlight.get());
  }

  @Test
  void backpressuresWhenTheFormingBatchIsFullAndParallelismIsExhausted() {
    Dispatcher d = new Dispatcher();
    BoundedSourceQueue<List<Element>> q = run(2, 2, NEVER, 1, d);
    offer(q, 1);
    d.awaitBatches(1);
    offer(q, 2, 3);
    // both taken into the forming batch
    await().atMost(AWAIT).until(() -> q.size() == 0);
    offer(q, 4, 5);
    // the sink does not pull: 4 and 5 fill the queue's buffer and the next offer is dropped
    assertEquals(QueueOfferResult.dropped(), q.offer(List.of(new Element(6, System.nanoTime()))));
    assertEquals(2, q.size());
    assertEquals(1, d.batches.size());

    d.complete(0);
    d.awaitBatches(2);
    assertEquals(List.of(2, 3), d.batches.get(1));
    await().atMost(AWAIT).until(() -> q.size() == 0);
    d.complete(1);
    d.awaitBatches(3);
    assertEquals(List.of(4, 5), d.batches.get(2));
    assertEquals(1, d.maxInFlight.get());
  }

  @Test
  void upstreamCompletionFlushesTheRest() {
    Dispatcher d = new Dispatcher();
    BoundedSourceQueue<List<Element>> q = run(16, 100, NEVER, 2, d);
    offer(q, 1);
    d.awaitBatches(1);
    offer(q, 2, 3);
    await().atMost(AWAIT).until(() -> q.size() == 0);
    assertEquals(1, d.batches.size());
    q.complete();
    d.awaitBatches(2);
    assertEquals(List.of(2, 3), d.batches.get(1));
  }

  @Test
  void rejectsNonsenseLimits() {
    Dispatcher d = new Dispatcher();
    assertThrows(IllegalArgumentException.class, () -> new MicroBatchSink<Element>(0, NEVER, 1, Element::enqueuedAtNanos, d::dispatch));
    assertThrows(IllegalArgumentException.class, () -> new MicroBatchSink<Element>(1, NEVER, 0, Element::enqueuedAtNanos, d::dispatch));
  }

  @Test
  void manyElementsAllArriveInOrder() {
    Dispatcher d = new Dispatcher();
    BoundedSourceQueue<List<Element>> q = run(1024, 8, Duration.ofMillis(1), 3, d);
    List<Integer> expected = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      offer(q, i);
      expected.add(i);
      // answer whatever has been sent so far
      for (CompletableFuture<Void> a : d.answers) a.complete(null);
    }
    await().atMost(AWAIT).until(() -> {
      for (CompletableFuture<Void> a : d.answers) a.complete(null);
      return d.batches.stream().mapToInt(List::size).sum() == 500;
    });
    assertEquals(expected, d.batches.stream().flatMap(List::stream).toList());
    assertTrue(d.batches.stream().allMatch(b -> b.size() <= 8), "a batch over maxSize: " + d.batches);
    assertTrue(d.maxInFlight.get() <= 3, "in flight at once: " + d.maxInFlight.get());
  }
}
