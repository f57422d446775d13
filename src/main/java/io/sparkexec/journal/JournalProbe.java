package io.sparkexec.journal;

import io.sparkexec.CborSerializable;
import java.time.Duration;
import java.time.Instant;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * Writes one tiny event on request and answers when it is durable: the journal's health check.
 * Old events are deleted on snapshot, so the probe's history stays a few events long.
 */
public final class JournalProbe extends EventSourcedBehavior<JournalProbe.Command, JournalProbe.Event, JournalProbe.State> {

  public sealed interface Command extends CborSerializable {}

  public record Write(Instant at, ActorRef<Written> replyTo) implements Command {}

  public record Written(long count) implements CborSerializable {}

  public sealed interface Event extends CborSerializable {}

  public record ProbeWritten(Instant at) implements Event {}

  public record State(long count) implements CborSerializable {}

  public static Behavior<Command> create(String nodeId) {
    return Behaviors.setup(ctx -> new JournalProbe(nodeId));
  }

  private JournalProbe(String nodeId) {
    // a failed write must restart the probe, not stop it (the default), or it can never see the journal recover
    super(PersistenceId.of("JournalProbe", nodeId), SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(2), 0.2));
  }

  @Override
  public State emptyState() {
    return new State(0);
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Write.class, (s, c) -> Effect().persist(new ProbeWritten(c.at())).thenRun(next -> c.replyTo().tell(new Written(next.count()))))
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onEvent(ProbeWritten.class, (s, e) -> new State(s.count() + 1)).build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 1).withDeleteEventsOnSnapshot();
  }
}
