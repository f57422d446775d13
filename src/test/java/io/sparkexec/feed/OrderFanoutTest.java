package io.sparkexec.feed;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.Materializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fan-out's seams under contention: subscribers resuming from everywhere (inside a tiny ring,
 * past it, at the head, live-only) while events keep being appended, some of them slow to make
 * room. Each must see exactly the seqs after its start, in order, once.
 */
class OrderFanoutTest {

  private static ActorSystem<Void> system;

  @BeforeAll
  static void start() {
    system = ActorSystem.create(Behaviors.empty(), "OrderFanoutTest");
  }

  @AfterAll
  static void stop() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Records the seqs it is handed; every {@code slowEvery}-th room() call makes room only a moment later, on another thread. */
  static final class Recorder implements OrderFanout.Subscriber {
    private static final Executor LATER = CompletableFuture.delayedExecutor(1, TimeUnit.MILLISECONDS);
    final List<Long> seqs = new CopyOnWriteArrayList<>();
    private final int slowEvery;
    private final AtomicInteger rooms = new AtomicInteger();

    Recorder(int slowEvery) {
      this.slowEvery = slowEvery;
    }

    @Override
    public boolean sees(String strategy) {
      return true;
    }

    @Override
    public boolean offer(String json) {
      int start = json.indexOf("\"seq\":") + 6;
      seqs.add(Long.parseLong(json, start, json.indexOf(',', start), 10));
      return true;
    }

    @Override
    public CompletableFuture<Done> room() {
      if (slowEvery == 0 || rooms.incrementAndGet() % slowEvery != 0) return CompletableFuture.completedFuture(Done.getInstance());
      return CompletableFuture.supplyAsync(Done::getInstance, LATER);
    }

    @Override
    public void failed(Throwable error) {
      seqs.add(-1L);
    }
  }

  @Test
  void everySubscriberGetsExactlyTheSeqsAfterItsStartWhileEventsKeepComing() throws Exception {
    FeedTestServer.TestOrders journal = new FeedTestServer.TestOrders();
    OrderFanout fanout = new OrderFanout(Materializer.matFromSystem(system), journal, 4);
    for (int i = 0; i < 2_000; i++) journal.publish();
    List<Recorder> recorders = new ArrayList<>();
    List<Long> starts = new ArrayList<>();
    // the first one starts the reader (at the journal's head); the ring then holds the last 4
    recorders.add(new Recorder(0));
    starts.add(-1L);
    fanout.subscribe(-1, recorders.get(0));
    await().atMost(Duration.ofSeconds(60)).until(() -> fanout.subscribers() == 1);
    CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> {
      for (int i = 0; i < 5_000; i++) journal.publish();
    });
    for (int i = 1; i < 40; i++) {
      // the reader's head (it may lag the journal): live-only, at it, inside the ring, past it (a journal read), from the start
      long head = fanout.status().head();
      long from = switch (i % 5) {
        case 0 -> -1;
        case 1 -> head;
        case 2 -> head - 2;
        case 3 -> head / 2;
        default -> 0;
      };
      Recorder r = new Recorder(i % 3 == 0 ? 0 : 5 + i % 7);
      fanout.subscribe(from, r);
      recorders.add(r);
      starts.add(from);
    }
    publishing.get(60, TimeUnit.SECONDS);
    // once all have caught up and joined, one more: even a live-only one that joined after the burst gets it
    await().atMost(Duration.ofSeconds(60)).until(() -> fanout.subscribers() == recorders.size());
    long end = journal.publish();
    for (int i = 0; i < recorders.size(); i++) {
      Recorder r = recorders.get(i);
      await().atMost(Duration.ofSeconds(60)).until(() -> !r.seqs.isEmpty() && r.seqs.get(r.seqs.size() - 1) >= end);
      List<Long> seqs = r.seqs;
      // a live-only one starts wherever the reader was when it joined
      long first = starts.get(i) >= 0 ? starts.get(i) + 1 : seqs.get(0);
      assertEquals(LongStream.rangeClosed(first, end).boxed().toList(), seqs, "subscriber " + i + " from " + starts.get(i));
    }
    assertTrue(fanout.status().catchUpReads() > 0, "the ring of 4 was passed: some caught up through the journal");
  }

  /**
   * Seqs with gaps (JOURNAL=postgres): every subscriber still gets exactly the published seqs after
   * its start, and one resuming inside the ring catches up from the ring, not once per gap from the journal.
   */
  @Test
  void seqsWithGapsAreHandedOutExactlyAndCaughtUpFromTheRing() throws Exception {
    FeedTestServer.TestOrders journal = new FeedTestServer.TestOrders(true);
    OrderFanout fanout = new OrderFanout(Materializer.matFromSystem(system), journal, 256);
    for (int i = 0; i < 100; i++) journal.publish();
    Recorder first = new Recorder(0);
    fanout.subscribe(-1, first);
    await().atMost(Duration.ofSeconds(60)).until(() -> fanout.subscribers() == 1);
    for (int i = 0; i < 200; i++) journal.publish();
    long head = journal.last();
    await().atMost(Duration.ofSeconds(60)).until(() -> fanout.status().head() == head);
    long readsBefore = fanout.status().catchUpReads();

    // inside the ring: from one of its events, and from a seq no event has (a gap)
    List<Long> seqs = journal.seqs();
    long fromEvent = seqs.get(150);
    long fromGap = seqs.get(160) + 1;
    assertTrue(!seqs.contains(fromGap), "a seq in a gap");
    Recorder atEvent = new Recorder(3);
    Recorder inGap = new Recorder(0);
    // past the ring's start: from the journal, then the ring
    Recorder old = new Recorder(0);
    fanout.subscribe(fromEvent, atEvent);
    fanout.subscribe(fromGap, inGap);
    fanout.subscribe(seqs.get(10), old);
    await().atMost(Duration.ofSeconds(60)).until(() -> fanout.subscribers() == 4);
    long end = journal.publish();
    for (Recorder r : List.of(first, atEvent, inGap, old)) {
      await().atMost(Duration.ofSeconds(60)).until(() -> !r.seqs.isEmpty() && r.seqs.get(r.seqs.size() - 1) == end);
    }
    List<Long> all = journal.seqs();
    assertEquals(all.stream().filter(s -> s > fromEvent).toList(), atEvent.seqs);
    assertEquals(all.stream().filter(s -> s > fromGap).toList(), inGap.seqs);
    assertEquals(all.stream().filter(s -> s > seqs.get(10)).toList(), old.seqs);
    long firstHead = seqs.get(99);
    assertEquals(all.stream().filter(s -> s > firstHead).toList(), first.seqs, "the live-only one: every event after the head it started at");
    assertEquals(1, fanout.status().catchUpReads() - readsBefore, "only the one from before the ring read the journal");
  }
}
