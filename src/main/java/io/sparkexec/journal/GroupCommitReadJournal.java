package io.sparkexec.journal;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.NoOffset;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByTagQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentPersistenceIdsQuery;
import org.apache.pekko.persistence.query.javadsl.EventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.javadsl.EventsByTagQuery;
import org.apache.pekko.persistence.query.javadsl.PersistenceIdsQuery;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Persistence queries over the group-commit journal (javadsl), registered as {@value #IDENTIFIER}.
 *
 * <p>Offsets are {@link Sequence}s. For eventsByTag the offset is the tag's own gap-free sequence
 * (1, 2, 3 ... in commit order) and, like Pekko's LevelDB read journal, it is <em>exclusive</em>:
 * {@code eventsByTag(tag, Sequence(n))} starts at n + 1, so the offset of the last envelope
 * processed resumes exactly after it; {@code NoOffset} and {@code Sequence(0)} start at the first.
 * For eventsByPersistenceId the envelope offset is the event's sequence nr. Live queries wake on
 * the writer's commit notification. Current queries stop at what was committed when they started.
 */
public final class GroupCommitReadJournal implements EventsByPersistenceIdQuery, CurrentEventsByPersistenceIdQuery, EventsByTagQuery,
    CurrentEventsByTagQuery, PersistenceIdsQuery, CurrentPersistenceIdsQuery, TagHeadQuery {

  /** The plugin id of this read journal in conf/journal.conf. */
  public static final String IDENTIFIER = "spark.journal.query";

  private final JournalStore store;
  private final Payloads payloads;
  private final String dispatcher;
  private final int maxBuffer;

  GroupCommitReadJournal(ExtendedActorSystem system, Config config) {
    this.store = JournalStores.get(system).open(config.getString("write-plugin"));
    this.payloads = new Payloads(system);
    this.dispatcher = config.getString("dispatcher");
    this.maxBuffer = config.getInt("max-buffer-size");
  }

  @Override
  public Source<EventEnvelope, NotUsed> eventsByPersistenceId(String persistenceId, long fromSequenceNr, long toSequenceNr) {
    return source(() -> new ByPersistenceId(persistenceId, fromSequenceNr, toSequenceNr), true);
  }

  @Override
  public Source<EventEnvelope, NotUsed> currentEventsByPersistenceId(String persistenceId, long fromSequenceNr, long toSequenceNr) {
    return source(() -> new ByPersistenceId(persistenceId, fromSequenceNr, Math.min(toSequenceNr, store.highestSequenceNr(persistenceId))), false);
  }

  @Override
  public Source<EventEnvelope, NotUsed> eventsByTag(String tag, Offset offset) {
    long after = afterOffset(offset);
    return source(() -> new ByTag(tag, after, Long.MAX_VALUE), true);
  }

  @Override
  public Source<Long, NotUsed> tagHead(String tag) {
    // a LevelDB read: on the query dispatcher, like the other queries
    return Source.lazySingle(() -> store.highestTagOffset(tag)).withAttributes(ActorAttributes.dispatcher(dispatcher));
  }

  @Override
  public Source<EventEnvelope, NotUsed> currentEventsByTag(String tag, Offset offset) {
    long after = afterOffset(offset);
    return source(() -> new ByTag(tag, after, store.highestTagOffset(tag)), false);
  }

  @Override
  public Source<String, NotUsed> persistenceIds() {
    return source(() -> new PersistenceIds(Long.MAX_VALUE), true);
  }

  @Override
  public Source<String, NotUsed> currentPersistenceIds() {
    return source(() -> new PersistenceIds(store.lastPersistenceIdNid()), false);
  }

  private <T> Source<T, NotUsed> source(java.util.function.Supplier<JournalSource.Reader<T>> readers, boolean live) {
    return Source.fromGraph(new JournalSource<>(store, readers, live, maxBuffer)).async(dispatcher);
  }

  private static long afterOffset(Offset offset) {
    if (offset == NoOffset.getInstance()) return 0L;
    if (offset instanceof Sequence s) return s.value();
    throw new IllegalArgumentException("offset must be Sequence or NoOffset, was " + offset);
  }

  private EventEnvelope envelope(long offset, StoredEvent e) {
    Object recent = store.recentEvent(e.persistenceId(), e.sequenceNr());
    return new EventEnvelope(Offset.sequence(offset), e.persistenceId(), e.sequenceNr(), recent != null ? recent : payloads.deserialize(e),
        e.timestamp());
  }

  private final class ByPersistenceId implements JournalSource.Reader<EventEnvelope> {
    private final String persistenceId;
    private final long to;
    private long cursor;

    ByPersistenceId(String persistenceId, long from, long to) {
      this.persistenceId = persistenceId;
      this.cursor = Math.max(0L, from - 1);
      this.to = to;
    }

    @Override
    public List<EventEnvelope> next(int max) {
      List<EventEnvelope> out = new ArrayList<>();
      for (StoredEvent e : store.events(persistenceId, cursor + 1, to, max)) {
        out.add(envelope(e.sequenceNr(), e));
        cursor = e.sequenceNr();
      }
      return out;
    }

    @Override
    public boolean finished() {
      return cursor >= to;
    }

    @Override
    public boolean wakesOn(JournalStore.Committed committed) {
      return committed.persistenceIds().contains(persistenceId);
    }
  }

  private final class ByTag implements JournalSource.Reader<EventEnvelope> {
    private final String tag;
    private final long to;
    private long cursor;

    ByTag(String tag, long after, long to) {
      this.tag = tag;
      this.cursor = after;
      this.to = to;
    }

    @Override
    public List<EventEnvelope> next(int max) {
      List<EventEnvelope> out = new ArrayList<>();
      // a page may hold only entries of deleted events: read on until something or the end
      while (out.isEmpty() && cursor < to) {
        JournalStore.TagPage page = store.tagEntries(tag, cursor, to, max);
        if (page.scannedTo() == cursor) break;
        for (JournalStore.TagEntry entry : page.entries()) out.add(envelope(entry.offset(), entry.event()));
        cursor = page.scannedTo();
      }
      return out;
    }

    @Override
    public boolean finished() {
      return cursor >= to;
    }

    @Override
    public boolean wakesOn(JournalStore.Committed committed) {
      return committed.tags().contains(tag);
    }
  }

  private final class PersistenceIds implements JournalSource.Reader<String> {
    private final long to;
    private long cursor;

    PersistenceIds(long to) {
      this.to = to;
    }

    @Override
    public List<String> next(int max) {
      List<String> out = new ArrayList<>();
      for (JournalStore.PersistenceIdEntry entry : store.persistenceIds(cursor, max)) {
        if (entry.nid() > to) break;
        out.add(entry.persistenceId());
        cursor = entry.nid();
      }
      return out;
    }

    @Override
    public boolean finished() {
      return cursor >= to;
    }

    @Override
    public boolean wakesOn(JournalStore.Committed committed) {
      return committed.newPersistenceIds();
    }
  }
}
