package io.sparkexec.journal;

import io.sparkexec.CborSerializable;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;

/** A typed event-sourced entity whose events are tagged like the product's (tagsFor). */
final class TaggedCounter extends EventSourcedBehavior<TaggedCounter.Command, TaggedCounter.Added, Long> {

  static final String TAG = "counter";

  sealed interface Command extends CborSerializable {}

  record Add(int amount, ActorRef<Long> replyTo) implements Command {}

  record Added(int amount) implements CborSerializable {}

  static Behavior<Command> create(PersistenceId id) {
    return new TaggedCounter(id);
  }

  private TaggedCounter(PersistenceId id) {
    super(id);
  }

  @Override
  public Long emptyState() {
    return 0L;
  }

  @Override
  public CommandHandler<Command, Added, Long> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Add.class, (s, c) -> Effect().persist(new Added(c.amount())).thenRun(next -> c.replyTo().tell(next)))
        .build();
  }

  @Override
  public EventHandler<Long, Added> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onEvent(Added.class, (s, e) -> s + e.amount()).build();
  }

  @Override
  public Set<String> tagsFor(Added event) {
    return Set.of(TAG);
  }
}
