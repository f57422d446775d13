package io.sparkexec.journal;

import io.sparkexec.metrics.Metrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import kamon.metric.Gauge;
import kamon.metric.Histogram;
import org.iq80.leveldb.DB;
import org.iq80.leveldb.DBIterator;
import org.iq80.leveldb.WriteBatch;
import org.iq80.leveldb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal's single writer, on its own thread. It takes every queued append up to
 * {@code max-batch} events, writes them in one LevelDB WriteBatch with one sync, then completes
 * each: under load one fsync covers many writes; a lone write goes at once (no linger). Requests
 * run in arrival order, so each persistence id's writes stay in order. Numeric ids and tag
 * offsets are allocated here and only kept once their batch is committed, so a failed batch
 * leaves no gap. If a batch fails, its appends are retried one by one so that a bad write fails
 * only itself.
 */
final class GroupCommitWriter {

  private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);
  /** Deleting a long history is split so one delete never builds an unbounded batch. */
  private static final int DELETE_CHUNK = 10_000;

  private sealed interface Request permits Append, Delete, Import, Stop {}

  private record Append(List<JournalStore.AtomicAppend> writes, int events, long enqueuedNanos, CompletableFuture<Void> done)
      implements Request {}

  private record Delete(String persistenceId, long toSequenceNr, CompletableFuture<Void> done) implements Request {}

  private record Import(List<ImportOp> ops, boolean sync, CompletableFuture<Void> done) implements Request {}

  private enum Stop implements Request {
    INSTANCE
  }

  /** Writes that copy another journal verbatim (migration): explicit sequence nrs and tag offsets. */
  sealed interface ImportOp {}

  record ImportEvent(String persistenceId, long sequenceNr, byte[] value) implements ImportOp {}

  record ImportHighest(String persistenceId, long highestSequenceNr) implements ImportOp {}

  record ImportTagEntry(String tag, long offset, String persistenceId, long sequenceNr) implements ImportOp {}

  record ImportTagHighest(String tag, long highestOffset) implements ImportOp {}

  private final DB db;
  private final JournalStore.Settings settings;
  private final Consumer<JournalStore.Committed> onCommitted;
  private final WriteOptions writeOptions;
  private final LinkedBlockingQueue<Request> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private final LruCache<String, Long> pids;
  private final LruCache<String, Long> tags;
  private final LruCache<Long, Long> tagOffsets;
  private final Histogram writeDuration = Metrics.JOURNAL_WRITE_DURATION.withoutTags();
  private final Histogram batchSize = Metrics.JOURNAL_BATCH_SIZE.withoutTags();
  private final Gauge queueDepth = Metrics.JOURNAL_WRITER_QUEUE_DEPTH.withoutTags();
  private long pidCounter;
  private long tagCounter;
  private volatile boolean stopped;

  GroupCommitWriter(DB db, JournalStore.Settings settings, Consumer<JournalStore.Committed> onCommitted) {
    this.db = db;
    this.settings = settings;
    this.onCommitted = onCommitted;
    this.writeOptions = new WriteOptions().sync(settings.fsync());
    this.pids = new LruCache<>(settings.idCacheSize());
    this.tags = new LruCache<>(settings.idCacheSize());
    this.tagOffsets = new LruCache<>(settings.idCacheSize());
    this.thread = new Thread(this::run, "spark-journal-writer");
    thread.setDaemon(true);
  }

  void start() {
    pidCounter = Keys.longOf(db.get(Keys.pidCounter()));
    tagCounter = Keys.longOf(db.get(Keys.tagCounter()));
    thread.start();
  }

  CompletableFuture<Void> append(List<JournalStore.AtomicAppend> writes) {
    int events = 0;
    for (JournalStore.AtomicAppend w : writes) events += w.events().size();
    return enqueue(new Append(writes, events, System.nanoTime(), new CompletableFuture<>()));
  }

  CompletableFuture<Void> delete(String persistenceId, long toSequenceNr) {
    return enqueue(new Delete(persistenceId, toSequenceNr, new CompletableFuture<>()));
  }

  CompletableFuture<Void> importBatch(List<ImportOp> ops, boolean sync) {
    return enqueue(new Import(ops, sync, new CompletableFuture<>()));
  }

  private CompletableFuture<Void> enqueue(Request request) {
    CompletableFuture<Void> done = doneOf(request);
    if (stopped) {
      done.completeExceptionally(new IllegalStateException("journal " + settings.dir() + " is closed"));
    } else {
      queue.add(request);
    }
    return done;
  }

  /** Writes everything queued so far, then ends the thread. */
  void stop() {
    if (stopped) return;
    stopped = true;
    queue.add(Stop.INSTANCE);
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    List<Append> batch = new ArrayList<>();
    try {
      while (true) {
        Request first = next();
        if (first == Stop.INSTANCE) break;
        if (first instanceof Append a) {
          batch.add(a);
          int events = a.events();
          // take what is already waiting, up to the bound; never wait for more
          while (events < settings.maxBatch() && queue.peek() instanceof Append next) {
            queue.poll();
            batch.add(next);
            events += next.events();
          }
          queueDepth.update(queue.size());
          writeAppends(batch, events);
          batch.clear();
        } else if (first instanceof Delete d) {
          complete(d.done(), () -> deleteTo(d.persistenceId(), d.toSequenceNr()));
        } else if (first instanceof Import i) {
          complete(i.done(), () -> importOps(i.ops(), i.sync()));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // anything that raced past stop() gets an answer rather than hanging
    for (Request r = queue.poll(); r != null; r = queue.poll()) {
      if (r != Stop.INSTANCE) doneOf(r).completeExceptionally(new IllegalStateException("journal " + settings.dir() + " is closed"));
    }
  }

  /**
   * Waits for the next request: spins briefly first, because waking a parked thread costs more
   * than a write when an entity persists again right after its previous write completed.
   */
  private Request next() throws InterruptedException {
    long spinUntil = System.nanoTime() + settings.idleSpinNanos();
    Request r;
    while ((r = queue.poll()) == null && System.nanoTime() < spinUntil) Thread.onSpinWait();
    return r != null ? r : queue.take();
  }

  private void writeAppends(List<Append> appends, int events) {
    long started = System.nanoTime();
    try {
      commit(appends);
      long now = System.nanoTime();
      batchSize.record(events);
      for (Append a : appends) {
        writeDuration.record(now - a.enqueuedNanos());
        a.done().complete(null);
      }
      if (log.isTraceEnabled()) {
        log.trace("event=journal_batch_written size={} requests={} micros={}", events, appends.size(), (now - started) / 1000);
      }
    } catch (RuntimeException | IOException e) {
      if (appends.size() == 1) {
        fail(appends.get(0), e);
        return;
      }
      log.warn("event=journal_batch_failed size={} requests={} action=retry_one_by_one error=\"{}\"", events, appends.size(), e.toString());
      for (Append a : appends) {
        try {
          commit(List.of(a));
          a.done().complete(null);
        } catch (RuntimeException | IOException single) {
          fail(a, single);
        }
      }
    }
  }

  private void fail(Append a, Exception e) {
    Metrics.JOURNAL_FAILURES.withoutTags().increment();
    log.error("event=journal_write_failed events={} error=\"{}\"", a.events(), e.toString());
    a.done().completeExceptionally(e);
  }

  private void commit(List<Append> appends) throws IOException {
    Allocation alloc = new Allocation();
    try (WriteBatch wb = db.createWriteBatch()) {
      for (Append a : appends) {
        for (JournalStore.AtomicAppend w : a.writes()) {
          long nid = alloc.nid(w.persistenceId(), wb);
          long last = 0;
          for (JournalStore.NewEvent e : w.events()) {
            wb.put(Keys.event(nid, e.sequenceNr()), e.value());
            for (String tag : e.tags()) {
              long tid = alloc.tid(tag, wb);
              wb.put(Keys.tagEntry(tid, alloc.nextOffset(tid, tag)), Keys.pointer(nid, e.sequenceNr()));
            }
            last = e.sequenceNr();
          }
          wb.put(Keys.highestSeq(nid), Keys.longValue(last));
          alloc.touchedPids.add(w.persistenceId());
        }
      }
      alloc.writeCounters(wb);
      db.write(wb, writeOptions);
    }
    alloc.keep();
  }

  private void deleteTo(String persistenceId, long toSequenceNr) throws IOException {
    Long nid = existingNid(persistenceId);
    if (nid == null) return;
    long upper = Math.min(toSequenceNr, Keys.longOf(db.get(Keys.highestSeq(nid))));
    long deleted = 0;
    try (DBIterator it = db.iterator()) {
      it.seek(Keys.event(nid, 1));
      WriteBatch wb = db.createWriteBatch();
      try {
        int inBatch = 0;
        while (it.hasNext()) {
          byte[] key = it.next().getKey();
          if (!Keys.isEventOf(key, nid) || Keys.numberOf(key) > upper) break;
          wb.delete(key);
          deleted++;
          if (++inBatch == DELETE_CHUNK) {
            db.write(wb, writeOptions);
            wb.close();
            wb = db.createWriteBatch();
            inBatch = 0;
          }
        }
        db.write(wb, writeOptions);
      } finally {
        wb.close();
      }
    }
    log.info("event=journal_events_deleted persistenceId={} toSequenceNr={} deleted={}", persistenceId, upper, deleted);
  }

  private void importOps(List<ImportOp> ops, boolean sync) throws IOException {
    Allocation alloc = new Allocation();
    try (WriteBatch wb = db.createWriteBatch()) {
      for (ImportOp op : ops) {
        if (op instanceof ImportEvent e) {
          wb.put(Keys.event(alloc.nid(e.persistenceId(), wb), e.sequenceNr()), e.value());
        } else if (op instanceof ImportHighest h) {
          wb.put(Keys.highestSeq(alloc.nid(h.persistenceId(), wb)), Keys.longValue(h.highestSequenceNr()));
        } else if (op instanceof ImportTagEntry t) {
          wb.put(Keys.tagEntry(alloc.tid(t.tag(), wb), t.offset()), Keys.pointer(alloc.nid(t.persistenceId(), wb), t.sequenceNr()));
        } else if (op instanceof ImportTagHighest t) {
          alloc.offsets.put(alloc.tid(t.tag(), wb), t.highestOffset());
        }
      }
      alloc.writeCounters(wb);
      db.write(wb, new WriteOptions().sync(sync));
    }
    alloc.keep();
  }

  private Long existingNid(String persistenceId) {
    Long nid = pids.get(persistenceId);
    if (nid != null) return nid;
    byte[] value = db.get(Keys.pidToNid(persistenceId));
    if (value == null) return null;
    pids.put(persistenceId, Keys.longOf(value));
    return Keys.longOf(value);
  }

  private static CompletableFuture<Void> doneOf(Request r) {
    if (r instanceof Append a) return a.done();
    if (r instanceof Delete d) return d.done();
    if (r instanceof Import i) return i.done();
    return CompletableFuture.completedFuture(null);
  }

  private interface Work {
    void run() throws IOException;
  }

  private static void complete(CompletableFuture<Void> done, Work work) {
    try {
      work.run();
      done.complete(null);
    } catch (IOException | RuntimeException e) {
      Metrics.JOURNAL_FAILURES.withoutTags().increment();
      log.error("event=journal_write_failed error=\"{}\"", e.toString());
      done.completeExceptionally(e);
    }
  }

  /** Ids and offsets handed out while building one batch; kept only after it is committed. */
  private final class Allocation {
    final Map<String, Long> newPids = new HashMap<>();
    final Map<String, Long> newTags = new HashMap<>();
    final Map<Long, Long> offsets = new HashMap<>();
    final Set<String> touchedPids = new HashSet<>();
    final Set<String> touchedTags = new HashSet<>();
    long nextPid = pidCounter;
    long nextTag = tagCounter;

    long nid(String persistenceId, WriteBatch wb) {
      Long nid = newPids.get(persistenceId);
      if (nid != null) return nid;
      nid = existingNid(persistenceId);
      if (nid != null) return nid;
      long allocated = ++nextPid;
      newPids.put(persistenceId, allocated);
      wb.put(Keys.pidToNid(persistenceId), Keys.longValue(allocated));
      wb.put(Keys.nidToPid(allocated), persistenceId.getBytes(StandardCharsets.UTF_8));
      return allocated;
    }

    long tid(String tag, WriteBatch wb) {
      Long tid = newTags.get(tag);
      if (tid == null) tid = tags.get(tag);
      if (tid != null) return tid;
      byte[] value = db.get(Keys.tagToTid(tag));
      if (value != null) {
        tags.put(tag, Keys.longOf(value));
        return Keys.longOf(value);
      }
      long allocated = ++nextTag;
      newTags.put(tag, allocated);
      wb.put(Keys.tagToTid(tag), Keys.longValue(allocated));
      return allocated;
    }

    long nextOffset(long tid, String tag) {
      Long current = offsets.get(tid);
      if (current == null) current = tagOffsets.get(tid);
      if (current == null) current = Keys.longOf(db.get(Keys.tagHighest(tid)));
      long next = current + 1;
      offsets.put(tid, next);
      touchedTags.add(tag);
      return next;
    }

    void writeCounters(WriteBatch wb) {
      offsets.forEach((tid, offset) -> wb.put(Keys.tagHighest(tid), Keys.longValue(offset)));
      if (nextPid != pidCounter) wb.put(Keys.pidCounter(), Keys.longValue(nextPid));
      if (nextTag != tagCounter) wb.put(Keys.tagCounter(), Keys.longValue(nextTag));
    }

    void keep() {
      pids.putAll(newPids);
      tags.putAll(newTags);
      tagOffsets.putAll(offsets);
      pidCounter = nextPid;
      tagCounter = nextTag;
      onCommitted.accept(new JournalStore.Committed(touchedPids, touchedTags, !newPids.isEmpty()));
    }
  }
}
