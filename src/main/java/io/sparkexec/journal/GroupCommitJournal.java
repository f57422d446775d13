package io.sparkexec.journal;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.Tagged;
import org.apache.pekko.persistence.journal.japi.AsyncWriteJournal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * The Pekko journal plugin over {@link JournalStore}: the only place Pekko's Scala-typed journal
 * API (futures, Seq, Set) meets the store. Events are serialized here, on the plugin dispatcher,
 * so the writer thread only writes; replays and highest-sequence-nr reads run on the replay
 * dispatcher. A write whose event cannot be serialized is rejected alone (Pekko's contract); one
 * the store cannot write fails its call.
 */
public final class GroupCommitJournal extends AsyncWriteJournal {

  private static final Logger log = LoggerFactory.getLogger(GroupCommitJournal.class);

  private final JournalStore store;
  private final Payloads payloads;
  private final ExecutionContext replayDispatcher;

  public GroupCommitJournal(com.typesafe.config.Config config, String configPath) {
    this.store = JournalStores.get(context().system()).open(configPath);
    this.payloads = new Payloads(context().system());
    this.replayDispatcher = context().system().dispatchers().lookup(config.getString("replay-dispatcher"));
  }

  @Override
  public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(Iterable<AtomicWrite> messages) {
    List<Optional<Exception>> results = new ArrayList<>();
    List<JournalStore.AtomicAppend> accepted = new ArrayList<>();
    for (AtomicWrite write : messages) {
      try {
        accepted.add(toAppend(write));
        results.add(Optional.empty());
      } catch (Exception e) {
        // not serializable: Pekko's contract is to reject this AtomicWrite alone
        log.warn("event=journal_write_rejected persistenceId={} fromSeqNr={} error=\"{}\"", write.persistenceId(), write.lowestSequenceNr(),
            e.toString());
        results.add(Optional.of(e));
      }
    }
    if (accepted.isEmpty()) return Futures.successful(results);
    return FutureConverters.asScala(store.append(accepted).thenApply(done -> results));
  }

  private JournalStore.AtomicAppend toAppend(AtomicWrite write) {
    long now = System.currentTimeMillis();
    List<JournalStore.NewEvent> events = new ArrayList<>(write.size());
    for (PersistentRepr p : CollectionConverters.asJava(write.payload())) {
      Object event = p.payload();
      Set<String> tags = Set.of();
      if (event instanceof Tagged tagged) {
        event = tagged.payload();
        tags = CollectionConverters.asJava(tagged.tags());
      }
      Payloads.Serialized s = payloads.serialize(event);
      if (!tags.isEmpty()) store.keepRecent(p.persistenceId(), p.sequenceNr(), event);
      long timestamp = p.timestamp() > 0 ? p.timestamp() : now;
      events.add(JournalStore.NewEvent.of(
          new StoredEvent(p.persistenceId(), p.sequenceNr(), s.serializerId(), s.manifest(), p.manifest(), p.writerUuid(), timestamp, s.bytes()),
          tags));
    }
    return new JournalStore.AtomicAppend(write.persistenceId(), events);
  }

  @Override
  public Future<Void> doAsyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
    return FutureConverters.asScala(store.deleteTo(persistenceId, toSequenceNr));
  }

  @Override
  public Future<Void> doAsyncReplayMessages(String persistenceId, long fromSequenceNr, long toSequenceNr, long max,
      Consumer<PersistentRepr> replayCallback) {
    return Futures.future(() -> {
      store.replay(persistenceId, fromSequenceNr, toSequenceNr, max, e -> replayCallback.accept(toRepr(e)));
      return null;
    }, replayDispatcher);
  }

  private PersistentRepr toRepr(StoredEvent e) {
    return PersistentRepr.apply(payloads.deserialize(e), e.sequenceNr(), e.persistenceId(), e.eventManifest(), false, ActorRef.noSender(),
        e.writerUuid()).withTimestamp(e.timestamp());
  }

  @Override
  public Future<Long> doAsyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    return Futures.future(() -> store.highestSequenceNr(persistenceId), replayDispatcher);
  }
}
