package io.sparkexec.feed;

import io.sparkexec.feed.OrderEventSource.Sequenced;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.pekko.Done;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.AbruptStageTerminationException;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.RestartSettings;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.RestartSource;
import org.apache.pekko.stream.javadsl.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The orders channel's one reader of the order tag stream. A single live read, started at the
 * tag's head when the first client subscribes, decodes and renders each event once, keeps the
 * last {@code ringSize} in a ring, and hands each one to every caught-up subscriber.
 *
 * <p>Not Pekko's {@code BroadcastHub}: its consumers share one bounded buffer, so the slowest one
 * holds the producer back. Here the reader never waits for a client: it puts each event into
 * every connection's own bounded, non-blocking queue, and a connection that falls
 * {@code WS_BUFFER} behind is closed by that queue ({@link CloseReason#SLOW_CONSUMER_RESUME}).
 *
 * <p>A subscriber resuming after seq N first catches up at its own pace (it takes the next
 * events only while its queue is at most half full): from the ring while the ring still holds
 * the event after its last one, else from a journal cursor of its own until the ring does. Once
 * caught up it joins the live hand-out: it registers first, keeping what the reader hands it
 * meanwhile, then takes from the ring what the reader appended before it saw the registration,
 * then what it kept, passing on only seqs above the last one it passed. So no event is missed or
 * doubled at either seam.
 *
 * <p>Seqs grow but need not be dense (on {@code JOURNAL=postgres} they are the journal's ordering
 * column, which other streams' events share): the ring is kept in the order the reader appended,
 * each slot knowing its position, and "the event after seq N" is the next position after the one
 * a subscriber passed, or a binary search over the ring when it comes from elsewhere.
 *
 * <p>The reader restarts with backoff after a failure, from the last seq it appended: no gap.
 */
final class OrderFanout {

  private static final Logger log = LoggerFactory.getLogger(OrderFanout.class);
  // as the order desks' supervision: quick after a hiccup, at most every 5 s while the journal stays down
  private static final RestartSettings RESTART = RestartSettings.create(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2);

  /** A connection's side of a subscription. Every method may be called from any thread and must not block. */
  interface Subscriber {
    /** Whether the client may see events of this strategy (null: unknown). */
    boolean sees(String strategy);

    /** Queues one message; false when the connection is closing (too far behind, or gone). */
    boolean offer(String json);

    /** Completes once the connection can take more catch-up: at once (completed) while its queue has room. */
    CompletableFuture<Done> room();

    /** Reading the journal for the catch-up failed: the client should resume later. */
    void failed(Throwable error);
  }

  /** The figures behind the feed's status: what the reader read, and how often a subscriber needed the journal. */
  record Status(long head, int ringSize, int subscribers, long readerStarts, long catchUpReads) {}

  private final Materializer materializer;
  private final OrderEventSource journal;
  /** An appended event and its position in the reader's order (0, 1, 2 ...): a slot still holds it while pos matches. */
  private record Slot(long pos, Sequenced event) {}

  private final AtomicReferenceArray<Slot> ring;
  private final CopyOnWriteArrayList<Subscription> live = new CopyOnWriteArrayList<>();
  private final AtomicLong readerStarts = new AtomicLong();
  private final AtomicLong catchUpReads = new AtomicLong();
  private CompletableFuture<Long> started;
  // the ring holds every event the reader appended with a seq above this: the seq it started after,
  // then the seq of the latest event overwritten; written by the reader only, before the slot
  private volatile long floor;
  // positions appended so far (the next one's position); written by the reader only, after the slot
  private volatile long appended;
  // the last seq appended; written by the reader only, after appended
  private volatile long head;

  OrderFanout(Materializer materializer, OrderEventSource journal, int ringSize) {
    if (ringSize < 1) throw new IllegalArgumentException("WS_ORDERS_RING must be at least 1");
    this.materializer = materializer;
    this.journal = journal;
    this.ring = new AtomicReferenceArray<>(ringSize);
  }

  /** Events after {@code afterSeq} then the live ones (negative: live ones only), until the subscription is canceled. */
  Subscription subscribe(long afterSeq, Subscriber subscriber) {
    Subscription s = new Subscription(subscriber);
    start().whenComplete((h, error) -> {
      if (error != null) subscriber.failed(error);
      else s.begin(afterSeq);
    });
    return s;
  }

  int subscribers() {
    return live.size();
  }

  Status status() {
    return new Status(head, ring.length(), live.size(), readerStarts.get(), catchUpReads.get());
  }

  private synchronized CompletableFuture<Long> start() {
    if (started != null) return started;
    // subscribers wait for this stage, not the head's: it completes once base and head are set
    CompletableFuture<Long> starting = journal.head().toCompletableFuture().thenApply(h -> {
      floor = h;
      head = h;
      run();
      return h;
    });
    started = starting;
    starting.whenComplete((h, error) -> {
      if (error == null) return;
      log.warn("event=ws_orders_reader_failed error=\"{}\"", error.toString());
      // the next subscriber tries again
      synchronized (this) {
        started = null;
      }
    });
    return starting;
  }

  /** The live read; after a failure (RestartSource logs it) it starts again after the last seq appended. */
  private void run() {
    RestartSource.onFailuresWithBackoff(RESTART, () -> {
          readerStarts.incrementAndGet();
          long from = head;
          log.info("event=ws_orders_reader_started afterSeq={}", from);
          return journal.after(from);
        })
        .runWith(Sink.foreach(this::append), materializer);
  }

  /** The reader's step: into the ring, then to every live subscriber; nothing here waits. */
  private void append(Sequenced e) {
    long pos = appended;
    int i = (int) (pos % ring.length());
    Slot old = ring.get(i);
    if (old != null) floor = old.event().seq();
    ring.set(i, new Slot(pos, e));
    appended = pos + 1;
    head = e.seq();
    for (Subscription s : live) s.deliver(e);
  }

  /** The slot of this position if the ring still holds it (null: overwritten, or not appended yet). */
  private Slot at(long pos) {
    Slot slot = ring.get((int) (pos % ring.length()));
    return slot != null && slot.pos() == pos ? slot : null;
  }

  /**
   * The first event after {@code seq} the reader appended, or null when the ring may not hold it
   * (the caller reads the journal). {@code next}: the position after the slot whose seq is
   * {@code seq}, when known (a subscriber walking the ring), else -1.
   */
  private Slot after(long seq, long next) {
    if (!covers(seq)) return null;
    if (next >= 0) return at(next);
    long end = appended;
    long lo = Math.max(0, end - ring.length());
    long hi = end - 1;
    Slot found = null;
    // positions are in seq order: the smallest one with a seq above the given one
    while (lo <= hi) {
      long mid = (lo + hi) >>> 1;
      Slot slot = at(mid);
      if (slot == null) return null; // overwritten meanwhile: the journal has it
      if (slot.event().seq() > seq) {
        found = slot;
        hi = mid - 1;
      } else {
        lo = mid + 1;
      }
    }
    return found != null && covers(seq) ? found : null;
  }

  /** Whether the ring holds every event after {@code seq} that the reader has appended. */
  private boolean covers(long seq) {
    return seq >= floor;
  }

  /** One client's subscription: catching up, joining, then live. */
  final class Subscription {
    private final Subscriber subscriber;
    private volatile boolean canceled;
    private volatile UniqueKillSwitch cursor;
    // the last seq passed on (sent, or not the client's to see); the reader updates it only once joined, under the lock
    private long lastPassed;
    // the ring position after the last event passed, when that one came from the ring (-1: it did not)
    private long nextPos = -1;
    // while joining: what the reader handed over before the ring was read to its head
    private List<Sequenced> kept;
    // the reader's hand-outs are passed on only once joined; before (a late one after falling back too) they are not ours
    private boolean joined;

    private Subscription(Subscriber subscriber) {
      this.subscriber = subscriber;
    }

    void cancel() {
      canceled = true;
      live.remove(this);
      UniqueKillSwitch c = cursor;
      if (c != null) c.shutdown();
    }

    private void begin(long afterSeq) {
      lastPassed = afterSeq < 0 ? head : afterSeq;
      catchUp();
    }

    /** From the ring while it holds the next event, at the subscriber's pace; then join, or read the journal. */
    private void catchUp() {
      while (!canceled) {
        if (lastPassed >= head) {
          join();
          return;
        }
        Slot e = after(lastPassed, nextPos);
        if (e == null) {
          fromJournal();
          return;
        }
        CompletableFuture<Done> room = subscriber.room();
        if (!room.isDone()) {
          room.thenRun(this::catchUp);
          return;
        }
        pass(e);
      }
    }

    /** A cursor of its own, until the ring covers where it got to. */
    private void fromJournal() {
      catchUpReads.incrementAndGet();
      Pair<UniqueKillSwitch, CompletionStage<Done>> running = journal.after(lastPassed)
          .takeWhile(e -> !covers(e.seq()), true)
          .mapAsync(1, e -> subscriber.room().thenApply(room -> e))
          .viaMat(KillSwitches.single(), Keep.right())
          .toMat(Sink.foreach(this::pass), Keep.both())
          .run(materializer);
      cursor = running.first();
      if (canceled) running.first().shutdown();
      running.second().whenComplete((done, error) -> {
        cursor = null;
        if (error == null) catchUp();
        else if (!canceled && !(error instanceof AbruptStageTerminationException)) subscriber.failed(error);
      });
    }

    private void join() {
      synchronized (this) {
        kept = new ArrayList<>();
      }
      live.add(this);
      if (canceled) {
        live.remove(this);
        return;
      }
      // appended before the reader saw us: at most this head, in the ring; appended since: in kept
      long until = head;
      while (lastPassed < until && !canceled) {
        Slot e = after(lastPassed, nextPos);
        if (e == null) {
          // the ring moved on while we registered (or a deleted event): back to the journal, and join again later
          live.remove(this);
          synchronized (this) {
            kept = null;
          }
          fromJournal();
          return;
        }
        pass(e);
      }
      synchronized (this) {
        for (Sequenced e : kept) if (e.seq() > lastPassed) pass(e);
        kept = null;
        joined = true;
      }
    }

    /** The reader's hand-out. The lock is only ever contended for the moment a subscriber joins. */
    private synchronized void deliver(Sequenced e) {
      if (canceled) return;
      if (kept != null) kept.add(e);
      else if (joined && e.seq() > lastPassed) pass(e);
    }

    private void pass(Slot slot) {
      pass(slot.event());
      nextPos = slot.pos() + 1;
    }

    private void pass(Sequenced e) {
      lastPassed = e.seq();
      nextPos = -1;
      if (subscriber.sees(e.strategy()) && !subscriber.offer(e.json())) cancel();
    }
  }
}
