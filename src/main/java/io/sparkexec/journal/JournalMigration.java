package io.sparkexec.journal;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.pekko.persistence.serialization.MessageFormats;
import org.fusesource.leveldbjni.JniDBFactory;
import org.iq80.leveldb.DB;
import org.iq80.leveldb.DBIterator;
import org.iq80.leveldb.Options;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code migrate-journal --from DIR --to DIR}: copies a journal written by Pekko's built-in
 * LevelDB plugin into a new group-commit journal. Payload bytes are copied as they are (serializer
 * id, manifest, bytes), so no event class is needed; sequence nrs, highest sequence nrs (also of
 * ids whose events were all deleted), writer uuids, timestamps and tag offsets are kept, so stored
 * query offsets stay valid. The source is only read. Memory stays flat: ids are looked up per key.
 *
 * <p>The built-in layout: 16-byte keys (int numeric id, long sequence nr, int mapping id); numeric
 * id 1 holds the id mapping (mapping id -> name); sequence nr 0 is an id's highest sequence nr;
 * tags are ids named {@code $$$<tag>} whose sequence nr is the tag offset and whose values are
 * copies of the tagged events; values are Pekko's protobuf PersistentMessage.
 *
 * <p>{@code migrate-journal --orders ...} is the other migration, of the event schema: see
 * {@link OrderJournalMigration}.
 */
public final class JournalMigration {

  private static final Logger log = LoggerFactory.getLogger(JournalMigration.class);
  private static final String TAG_PREFIX = "$$$";
  private static final int MAPPING_NID = 1;
  private static final int OPS_PER_BATCH = 1000;
  private static final long PROGRESS_EVERY = 10_000;

  public record Result(long events, long tagEntries, long persistenceIds, long tags) {}

  private JournalMigration() {}

  private static final String USAGE = """
      usage: migrate-journal --from <built-in LevelDB journal dir> --to <new journal dir>
             migrate-journal --orders --from <journal dir> --to <new journal dir> [--index-dir <dir>] [--progress-every <events>]

        (no --orders)  copy a journal written by Pekko's built-in LevelDB plugin into a new group-commit journal
        --orders       upgrade a group-commit journal written by the per-order entities (Order|<id>) to the order
                       desks (OrderDesk|<symbol>) and fill the new journal's order index; the index dir defaults to
                       <new journal dir>-index, the server's default spark.orders.index-dir (docs/journal.md)
      """;

  public static void main(String[] args) throws Exception {
    String from = null;
    String to = null;
    String indexDir = null;
    boolean orders = false;
    long progressEvery = OrderJournalMigration.DEFAULT_PROGRESS_EVERY;
    boolean bad = false;
    for (int i = 0; i < args.length && !bad; i++) {
      String flag = args[i];
      if (flag.equals("--orders")) {
        orders = true;
        continue;
      }
      if (!List.of("--from", "--to", "--index-dir", "--progress-every").contains(flag)) {
        System.err.println("unknown option " + flag);
        bad = true;
        break;
      }
      if (i + 1 >= args.length) {
        System.err.println(flag + " needs a value");
        bad = true;
        break;
      }
      String value = args[++i];
      switch (flag) {
        case "--from" -> from = value;
        case "--to" -> to = value;
        case "--index-dir" -> indexDir = value;
        case "--progress-every" -> {
          try {
            progressEvery = Long.parseLong(value);
            bad = progressEvery < 1;
          } catch (NumberFormatException e) {
            bad = true;
          }
        }
      }
    }
    if (bad || from == null || to == null || (!orders && (indexDir != null || progressEvery != OrderJournalMigration.DEFAULT_PROGRESS_EVERY))) {
      System.err.print(USAGE);
      exit(2);
    }
    try {
      if (orders) {
        File target = new File(to);
        OrderJournalMigration.run(new File(from), target, indexDir != null ? new File(indexDir) : OrderJournalMigration.defaultIndexDir(target),
            progressEvery);
      } else {
        run(new File(from), new File(to));
      }
    } catch (IOException | RuntimeException e) {
      log.error("event=journal_migration_failed error=\"{}\"", e.getMessage());
      exit(1);
    }
    exit(0);
  }

  /** Exits once the log lines are out: conf/logback.xml logs through an async appender, which System.exit would cut short. */
  static void exit(int status) {
    if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext logback) logback.stop();
    System.exit(status);
  }

  public static Result run(File from, File to) throws IOException {
    if (!new File(from, "CURRENT").isFile()) throw new IOException("no LevelDB journal in " + from.getAbsolutePath());
    log.info("event=journal_migration_started from={} to={}", from.getAbsolutePath(), to.getAbsolutePath());
    long started = System.nanoTime();
    try (DB source = JniDBFactory.factory.open(from, new Options().createIfMissing(false));
        JournalStore target = JournalStore.open(new JournalStore.Settings(to, false, OPS_PER_BATCH, 10_000, 0))) {
      if (source.get(Keys.format()) != null) throw new IOException(from + " is already a group-commit journal");
      if (target.lastPersistenceIdNid() != 0) throw new IOException(to + " is not empty: migrate into a new directory");
      Copy copy = new Copy(source, target);
      copy.run();
      Result result = new Result(copy.events, copy.tagEntries, copy.persistenceIds, copy.tags);
      log.info("event=journal_migration_done events={} tagEntries={} persistenceIds={} tags={} tookMs={}", result.events(),
          result.tagEntries(), result.persistenceIds(), result.tags(), (System.nanoTime() - started) / 1_000_000);
      return result;
    }
  }

  private static final class Copy {
    private final DB source;
    private final JournalStore target;
    private final ImportBatches writes;
    private int currentNid = -1;
    private String currentName;
    long events;
    long tagEntries;
    long persistenceIds;
    long tags;

    Copy(DB source, JournalStore target) {
      this.source = source;
      this.target = target;
      this.writes = new ImportBatches(target, OPS_PER_BATCH);
    }

    void run() throws IOException {
      try (DBIterator it = source.iterator()) {
        it.seekToFirst();
        while (it.hasNext()) {
          var entry = it.next();
          byte[] key = entry.getKey();
          if (key.length < 16) throw new IOException("unexpected key of " + key.length + " bytes: not a built-in LevelDB journal");
          ByteBuffer k = ByteBuffer.wrap(key);
          int nid = k.getInt();
          long seqNr = k.getLong();
          int mappingId = k.getInt();
          if (nid == MAPPING_NID || mappingId != 0 || !enter(nid)) continue;
          boolean deletedAfter = it.hasNext() && isDeletionMarkerOf(it.peekNext().getKey(), nid, seqNr);
          if (seqNr == 0) highest(Keys.longOf(entry.getValue()));
          else if (!deletedAfter) copy(seqNr, entry.getValue());
        }
      }
      writes.finish();
    }

    /** Moves to numeric id {@code nid}; false when it has no name (nothing to copy). */
    private boolean enter(int nid) {
      if (nid == currentNid) return currentName != null;
      currentNid = nid;
      byte[] name = source.get(ByteBuffer.allocate(20).putInt(MAPPING_NID).putLong(0L).putInt(nid).array());
      currentName = name == null ? null : new String(name, StandardCharsets.UTF_8);
      if (currentName == null) log.warn("event=journal_migration_unnamed_id nid={} action=skip", nid);
      else if (currentName.startsWith(TAG_PREFIX)) tags++;
      else persistenceIds++;
      return currentName != null;
    }

    private boolean isTag() {
      return currentName.startsWith(TAG_PREFIX);
    }

    private void highest(long highest) throws IOException {
      if (isTag()) writes.add(new GroupCommitWriter.ImportTagHighest(currentName.substring(TAG_PREFIX.length()), highest));
      else writes.add(new GroupCommitWriter.ImportHighest(currentName, highest));
    }

    private void copy(long seqNr, byte[] value) throws IOException {
      MessageFormats.PersistentMessage m = MessageFormats.PersistentMessage.parseFrom(value);
      if (m.getDeleted()) return;
      if (isTag()) {
        writes.add(new GroupCommitWriter.ImportTagEntry(currentName.substring(TAG_PREFIX.length()), seqNr, m.getPersistenceId(), m.getSequenceNr()));
        tagEntries++;
        return;
      }
      MessageFormats.PersistentPayload p = m.getPayload();
      StoredEvent event = new StoredEvent(currentName, seqNr, p.getSerializerId(), p.getPayloadManifest().toStringUtf8(), m.getManifest(),
          m.getWriterUuid(), m.getTimestamp(), p.getPayload().toByteArray());
      writes.add(new GroupCommitWriter.ImportEvent(currentName, seqNr, event.encodeValue()));
      if (++events % PROGRESS_EVERY == 0) {
        log.info("event=journal_migration_progress events={} tagEntries={} persistenceIds={}", events, tagEntries, persistenceIds);
      }
    }



    private static boolean isDeletionMarkerOf(byte[] key, int nid, long seqNr) {
      if (key.length < 16) return false;
      ByteBuffer k = ByteBuffer.wrap(key);
      return k.getInt() == nid && k.getLong() == seqNr && k.getInt() == 1;
    }

  }
}
