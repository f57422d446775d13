package io.sparkexec.journal;

import com.typesafe.config.Config;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.fusesource.leveldbjni.JniDBFactory;
import org.iq80.leveldb.DB;
import org.iq80.leveldb.DBIterator;
import org.iq80.leveldb.Options;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal's LevelDB database: every write goes through the one {@link GroupCommitWriter};
 * reads run on the caller's thread (a replay or query dispatcher, never the default one). Pure
 * Java: the Pekko plugin classes adapt it. Closing waits for queued writes, then closes the
 * database under a write lock so that no read can touch a closed native handle.
 */
public final class JournalStore implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(JournalStore.class);

  /**
   * @param maxBatch events per LevelDB WriteBatch
   * @param idCacheSize id mappings cached per cache
   * @param idleSpinNanos how long the idle writer spins before it parks
   */
  public record Settings(File dir, boolean fsync, int maxBatch, int idCacheSize, long idleSpinNanos) {
    public static Settings from(Config plugin) {
      return new Settings(new File(plugin.getString("dir")), plugin.getBoolean("fsync"), plugin.getInt("max-batch"), plugin.getInt("id-cache-size"),
          plugin.getDuration("writer-idle-spin").toNanos());
    }
  }

  /** One event to append, its value already encoded (off the writer thread), with its tags. */
  public record NewEvent(long sequenceNr, byte[] value, Set<String> tags) {
    public static NewEvent of(StoredEvent event, Set<String> tags) {
      return new NewEvent(event.sequenceNr(), event.encodeValue(), tags);
    }
  }

  /** All of these events are written or none (Pekko's AtomicWrite). */
  public record AtomicAppend(String persistenceId, List<NewEvent> events) {}

  /** An event in a tag's stream at its tag offset. */
  public record TagEntry(long offset, StoredEvent event) {}

  /** Tag entries read, and the last offset looked at (entries of deleted events are skipped). */
  public record TagPage(List<TagEntry> entries, long scannedTo) {}

  /** A persistence id in creation order: {@code nid} is its cursor for resuming. */
  public record PersistenceIdEntry(long nid, String persistenceId) {}

  /** What one committed WriteBatch touched; live queries wake on it. */
  public record Committed(Set<String> persistenceIds, Set<String> tags, boolean newPersistenceIds) {}

  /** About a few seconds of order events at full speed: a reader further behind decodes from disk. */
  private static final int RECENT_EVENTS = 16_384;

  /** The write side's object for this event if it is still held (tagged events only), else null. */
  Object recentEvent(String persistenceId, long sequenceNr) {
    return recent.get(persistenceId, sequenceNr);
  }

  /** Keeps a tagged event's object for readers, before its write is submitted. */
  void keepRecent(String persistenceId, long sequenceNr, Object event) {
    recent.put(persistenceId, sequenceNr, event);
  }

  public interface Listener {
    /** Called on the writer thread: hand off, never block. */
    void committed(Committed committed);
  }

  private final Settings settings;
  private final DB db;
  private final GroupCommitWriter writer;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final LruCache<String, Long> pids;
  private final LruCache<Long, String> names;
  private final LruCache<String, Long> tags;
  private volatile boolean closed;
  // tagged events as written, for live queries right behind the writer (see RecentEvents)
  private final RecentEvents recent = new RecentEvents(RECENT_EVENTS);

  private JournalStore(Settings settings, DB db) {
    this.settings = settings;
    this.db = db;
    this.pids = new LruCache<>(settings.idCacheSize());
    this.names = new LruCache<>(settings.idCacheSize());
    this.tags = new LruCache<>(settings.idCacheSize());
    this.writer = new GroupCommitWriter(db, settings, this::notifyListeners);
  }

  /** Opens (or creates) the journal in {@code settings.dir()}; refuses a directory in another layout. */
  public static JournalStore open(Settings settings) throws IOException {
    File dir = settings.dir();
    if (!dir.isDirectory() && !dir.mkdirs()) throw new IOException("cannot create journal directory " + dir.getAbsolutePath());
    DB db = JniDBFactory.factory.open(dir, new Options().createIfMissing(true));
    try {
      checkFormat(db, dir);
    } catch (IOException | RuntimeException e) {
      db.close();
      throw e;
    }
    JournalStore store = new JournalStore(settings, db);
    store.writer.start();
    log.info("event=journal_opened dir={} fsync={} maxBatch={}", dir.getAbsolutePath(), settings.fsync(), settings.maxBatch());
    return store;
  }

  /**
   * What {@link #open} would refuse, checked before a server starts (Main): nothing when {@code dir}
   * holds no journal yet. Opens the database briefly; fails if another process has it open.
   */
  /**
   * True when another process holds {@code dir}'s LevelDB LOCK (LevelDB allows one process per
   * directory). Only before this process opens the directory: the probe is an fcntl lock too, and
   * closing it would drop a lock this process's own LevelDB holds.
   */
  public static boolean lockedByAnotherProcess(File dir) throws IOException {
    File lock = new File(dir, "LOCK");
    if (!lock.isFile()) return false;
    try (FileChannel ch = FileChannel.open(lock.toPath(), StandardOpenOption.WRITE)) {
      FileLock held = ch.tryLock();
      if (held == null) return true;
      held.release();
      return false;
    } catch (OverlappingFileLockException e) {
      return true;
    }
  }

  public static void checkOpenable(File dir) throws IOException {
    if (!new File(dir, "CURRENT").isFile()) return;
    try (DB db = JniDBFactory.factory.open(dir, new Options().createIfMissing(false))) {
      checkFormat(db, dir);
    }
  }

  private static void checkFormat(DB db, File dir) throws IOException {
    byte[] format = db.get(Keys.format());
    if (format != null) {
      int version = (int) Keys.longOf(format);
      if (version != Keys.FORMAT_VERSION) {
        throw new IOException("journal " + dir + " has format version " + version + ", this build reads " + Keys.FORMAT_VERSION);
      }
      String legacy = firstLegacyOrderId(db);
      if (legacy != null) {
        throw new IOException("journal " + dir + " still holds orders of the per-order entities (" + legacy + ", event schema before the "
            + "order desks): upgrade it with 'migrate-journal --orders --from " + dir + " --to <new dir>' and point JOURNAL_DIR at the new "
            + "dir (docs/operations.md, Upgrading to the order desks)");
      }
      return;
    }
    try (DBIterator it = db.iterator()) {
      it.seekToFirst();
      if (it.hasNext()) {
        throw new IOException("journal " + dir + " was written in another layout (the built-in LevelDB plugin?): "
            + "copy it with 'migrate-journal --from <old dir> --to <new dir>' (docs/journal.md)");
      }
    }
    db.put(Keys.format(), Keys.longValue(Keys.FORMAT_VERSION));
  }

  /**
   * The first persistence id of the per-order entities the order desks replaced ({@code Order|<id>}),
   * or null: one seek in the id mapping, whatever the journal's size.
   */
  static String firstLegacyOrderId(DB db) {
    byte[] prefix = Keys.pidToNid(OrderJournalMigration.LEGACY_PREFIX);
    try (DBIterator it = db.iterator()) {
      it.seek(prefix);
      if (!it.hasNext()) return null;
      byte[] key = it.peekNext().getKey();
      if (key.length < prefix.length || !java.util.Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length)) return null;
      return new String(key, 1, key.length - 1, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---- writes: all through the single writer ----

  /** Completes when every write is durable (per fsync), exceptionally if the batch could not be written. */
  public CompletableFuture<Void> append(List<AtomicAppend> writes) {
    return writer.append(writes);
  }

  /** Deletes events up to {@code toSequenceNr}; the highest sequence nr is kept. */
  public CompletableFuture<Void> deleteTo(String persistenceId, long toSequenceNr) {
    return writer.delete(persistenceId, toSequenceNr);
  }

  CompletableFuture<Void> importBatch(List<GroupCommitWriter.ImportOp> ops, boolean sync) {
    return writer.importBatch(ops, sync);
  }

  // ---- reads ----

  public long highestSequenceNr(String persistenceId) {
    return read(() -> {
      Long nid = nid(persistenceId);
      return nid == null ? 0L : Keys.longOf(db.get(Keys.highestSeq(nid)));
    });
  }

  /** Events of one persistence id with {@code from <= seqNr <= to}, at most {@code max}, in order. */
  public void replay(String persistenceId, long from, long to, long max, Consumer<StoredEvent> callback) {
    read(() -> {
      Long nid = nid(persistenceId);
      if (nid == null || max <= 0) return null;
      long count = 0;
      try (DBIterator it = db.iterator()) {
        it.seek(Keys.event(nid, Math.max(1L, from)));
        while (it.hasNext() && count < max) {
          var entry = it.next();
          byte[] key = entry.getKey();
          if (!Keys.isEventOf(key, nid)) break;
          long seqNr = Keys.numberOf(key);
          if (seqNr > to) break;
          callback.accept(StoredEvent.decode(persistenceId, seqNr, entry.getValue()));
          count++;
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      return null;
    });
  }

  public List<StoredEvent> events(String persistenceId, long from, long to, int max) {
    List<StoredEvent> out = new ArrayList<>();
    replay(persistenceId, from, to, max, out::add);
    return out;
  }

  public long highestTagOffset(String tag) {
    return read(() -> {
      Long tid = tid(tag);
      return tid == null ? 0L : Keys.longOf(db.get(Keys.tagHighest(tid)));
    });
  }

  /**
   * Tag entries with {@code afterOffset < offset <= toOffset}, at most {@code max}. Entries whose
   * event was deleted are skipped (their offsets stay unused).
   */
  public TagPage tagEntries(String tag, long afterOffset, long toOffset, int max) {
    return read(() -> {
      List<TagEntry> out = new ArrayList<>();
      long scannedTo = afterOffset;
      Long tid = tid(tag);
      if (tid == null) return new TagPage(out, scannedTo);
      try (DBIterator it = db.iterator()) {
        it.seek(Keys.tagEntry(tid, Math.max(0L, afterOffset) + 1));
        while (it.hasNext() && out.size() < max) {
          var entry = it.next();
          byte[] key = entry.getKey();
          if (!Keys.isTagEntryOf(key, tid)) break;
          long offset = Keys.numberOf(key);
          if (offset > toOffset) break;
          scannedTo = offset;
          var pointer = ByteBuffer.wrap(entry.getValue());
          long nid = pointer.getLong();
          long seqNr = pointer.getLong();
          byte[] value = db.get(Keys.event(nid, seqNr));
          String persistenceId = name(nid);
          if (value != null && persistenceId != null) out.add(new TagEntry(offset, StoredEvent.decode(persistenceId, seqNr, value)));
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      return new TagPage(out, scannedTo);
    });
  }

  /** The numeric id of the newest persistence id (0 when none): the bound of a current query. */
  public long lastPersistenceIdNid() {
    return read(() -> Keys.longOf(db.get(Keys.pidCounter())));
  }

  /** Persistence ids created after {@code afterNid}, in creation order, at most {@code max}. */
  public List<PersistenceIdEntry> persistenceIds(long afterNid, int max) {
    return read(() -> {
      List<PersistenceIdEntry> out = new ArrayList<>();
      try (DBIterator it = db.iterator()) {
        it.seek(Keys.nidToPid(afterNid + 1));
        while (it.hasNext() && out.size() < max) {
          var entry = it.next();
          if (!Keys.isNidToPid(entry.getKey())) break;
          out.add(new PersistenceIdEntry(Keys.idOf(entry.getKey()), new String(entry.getValue(), StandardCharsets.UTF_8)));
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      return out;
    });
  }

  // ---- live notification ----

  public void subscribe(Listener listener) {
    listeners.add(listener);
  }

  public void unsubscribe(Listener listener) {
    listeners.remove(listener);
  }

  private void notifyListeners(Committed committed) {
    for (Listener l : listeners) {
      try {
        l.committed(committed);
      } catch (RuntimeException e) {
        log.warn("event=journal_listener_failed error=\"{}\"", e.toString());
      }
    }
  }

  // ---- id lookups for readers (the writer keeps its own) ----

  private Long nid(String persistenceId) {
    synchronized (pids) {
      Long cached = pids.get(persistenceId);
      if (cached != null) return cached;
    }
    byte[] value = db.get(Keys.pidToNid(persistenceId));
    if (value == null) return null;
    long nid = Keys.longOf(value);
    synchronized (pids) {
      pids.put(persistenceId, nid);
    }
    return nid;
  }

  private String name(long nid) {
    synchronized (names) {
      String cached = names.get(nid);
      if (cached != null) return cached;
    }
    byte[] value = db.get(Keys.nidToPid(nid));
    if (value == null) return null;
    String name = new String(value, StandardCharsets.UTF_8);
    synchronized (names) {
      names.put(nid, name);
    }
    return name;
  }

  private Long tid(String tag) {
    synchronized (tags) {
      Long cached = tags.get(tag);
      if (cached != null) return cached;
    }
    byte[] value = db.get(Keys.tagToTid(tag));
    if (value == null) return null;
    long tid = Keys.longOf(value);
    synchronized (tags) {
      tags.put(tag, tid);
    }
    return tid;
  }

  private <T> T read(Supplier<T> body) {
    lock.readLock().lock();
    try {
      if (closed) throw new IllegalStateException("journal " + settings.dir() + " is closed");
      return body.get();
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public void close() {
    if (closed) return;
    writer.stop();
    lock.writeLock().lock();
    try {
      if (closed) return;
      closed = true;
      db.close();
      log.info("event=journal_closed dir={}", settings.dir().getAbsolutePath());
    } catch (IOException e) {
      log.warn("event=journal_close_failed dir={} error=\"{}\"", settings.dir().getAbsolutePath(), e.toString());
    } finally {
      lock.writeLock().unlock();
    }
  }
}
