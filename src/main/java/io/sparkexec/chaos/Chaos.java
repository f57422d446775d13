package io.sparkexec.chaos;

import io.sparkexec.CborSerializable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The chaos switchboard, event-sourced: every change is journaled with who, why and when, so the
 * journal is the audit log and a restart keeps the chaos an admin set. Until the first change the
 * state is the configured start-up defaults (source "config"); after it, the journal (source
 * "journal"). The state goes to {@link Deps#publish} after recovery and after every change.
 */
public final class Chaos extends EventSourcedBehaviorWithEnforcedReplies<Chaos.Command, Chaos.Event, Chaos.State> {

  public static final PersistenceId PERSISTENCE_ID = PersistenceId.ofUniqueId("Chaos");
  public static final String SOURCE_CONFIG = "config";
  public static final String SOURCE_JOURNAL = "journal";

  // ---- protocol ----

  public sealed interface Command extends CborSerializable {}

  /** {@code action}: how the change arrived ("set", "toggle", "off"), kept in the audit log. */
  public record Change(ChaosSettings to, String action, String reason, String by, ActorRef<State> replyTo) implements Command {}

  public record Get(ActorRef<State> replyTo) implements Command {}

  public sealed interface Event extends CborSerializable {}

  public record ChaosChanged(ChaosSettings from, ChaosSettings to, String action, String reason, String by, Instant at) implements Event {}

  /** One line of the audit log as the API shows it. */
  public record AuditEntry(Instant at, String by, String action, ChaosSettings settings, String reason) implements CborSerializable {}

  public record State(ChaosSettings settings, String source, List<AuditEntry> audit) implements CborSerializable {

    State apply(ChaosChanged e, int auditKeep) {
      List<AuditEntry> next = new ArrayList<>(audit.subList(Math.max(0, audit.size() - auditKeep + 1), audit.size()));
      next.add(new AuditEntry(e.at(), e.by(), e.action(), e.to(), e.reason()));
      return new State(e.to(), SOURCE_JOURNAL, List.copyOf(next));
    }
  }

  public record Deps(Clock clock, ChaosSettings configDefaults, int snapshotEvery, int auditKeep, Consumer<State> publish) {}

  public static Behavior<Command> create(Deps deps) {
    return Behaviors.setup(ctx -> new Chaos(deps));
  }

  private final Deps deps;

  private Chaos(Deps deps) {
    super(PERSISTENCE_ID, SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    this.deps = deps;
  }

  @Override
  public State emptyState() {
    return new State(deps.configDefaults(), SOURCE_CONFIG, List.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(deps.snapshotEvery(), 2);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), deps.publish()::accept).build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Change.class, this::onChange)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), s))
        .build();
  }

  // an unchanged setting is journaled too: the audit log records that someone asked for it, and why
  private ReplyEffect<Event, State> onChange(State s, Change c) {
    ChaosChanged changed = new ChaosChanged(s.settings(), c.to(), c.action(), c.reason(), c.by(), deps.clock().instant());
    return Effect().persist(changed).thenRun(deps.publish()::accept).thenReply(c.replyTo(), next -> next);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onEvent(ChaosChanged.class, (s, e) -> s.apply(e, deps.auditKeep())).build();
  }
}
