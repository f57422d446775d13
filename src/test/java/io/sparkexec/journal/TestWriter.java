package io.sparkexec.journal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Props;
import org.apache.pekko.persistence.AbstractPersistentActor;
import org.apache.pekko.persistence.DeleteMessagesFailure;
import org.apache.pekko.persistence.DeleteMessagesSuccess;
import org.apache.pekko.persistence.journal.Tagged;

/**
 * A classic persistent actor for journal tests: {@link Write} persists events (one persistAll when
 * atomic, else persistAsync one by one) and answers with the last sequence nr; {@link #STATE}
 * answers every event it recovered or wrote, in order.
 */
final class TestWriter extends AbstractPersistentActor {

  record Write(int count, boolean atomic, Set<String> tags) {}

  record Delete(long toSequenceNr) {}

  static final String STATE = "state";

  static Props props(String persistenceId) {
    return Props.create(TestWriter.class, () -> new TestWriter(persistenceId));
  }

  private final String persistenceId;
  private final List<TestJournal.Evt> events = new ArrayList<>();
  private ActorRef deleteReplyTo;

  private TestWriter(String persistenceId) {
    this.persistenceId = persistenceId;
  }

  @Override
  public String persistenceId() {
    return persistenceId;
  }

  @Override
  public Receive createReceiveRecover() {
    return receiveBuilder().match(TestJournal.Evt.class, events::add).build();
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(Write.class, this::onWrite)
        .match(Delete.class, d -> {
          deleteReplyTo = getSender();
          deleteMessages(d.toSequenceNr());
        })
        .match(DeleteMessagesSuccess.class, d -> deleteReplyTo.tell(d, getSelf()))
        .match(DeleteMessagesFailure.class, d -> deleteReplyTo.tell(d, getSelf()))
        .matchEquals(STATE, s -> getSender().tell(List.copyOf(events), getSelf()))
        .build();
  }

  private void onWrite(Write w) {
    ActorRef replyTo = getSender();
    List<Object> batch = new ArrayList<>();
    for (int i = 1; i <= w.count(); i++) {
      TestJournal.Evt evt = new TestJournal.Evt(persistenceId, lastSequenceNr() + i);
      batch.add(w.tags().isEmpty() ? evt : new Tagged(evt, w.tags()));
    }
    int[] left = {batch.size()};
    if (w.atomic()) {
      persistAll(batch, e -> done(e, left, replyTo));
    } else {
      for (Object e : batch) persistAsync(e, p -> done(p, left, replyTo));
    }
  }

  private void done(Object persisted, int[] left, ActorRef replyTo) {
    events.add((TestJournal.Evt) (persisted instanceof Tagged t ? t.payload() : persisted));
    if (--left[0] == 0) replyTo.tell(lastSequenceNr(), getSelf());
  }
}
