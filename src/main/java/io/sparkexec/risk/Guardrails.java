package io.sparkexec.risk;

import io.sparkexec.CborSerializable;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
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
 * The trading state (kill switch) and the runtime limit overrides, event-sourced: every change is
 * journaled with who, why and when, so the journal is the audit log and a restart keeps a HALTED
 * executor halted. After every change (and after recovery) the state is handed to
 * {@link Deps#publish}, which is what the non-blocking guard reads.
 */
public final class Guardrails extends EventSourcedBehaviorWithEnforcedReplies<Guardrails.Command, Guardrails.Event, Guardrails.State> {

  public static final PersistenceId PERSISTENCE_ID = PersistenceId.of("Guardrails", "node");

  // ---- protocol ----

  public sealed interface Command extends CborSerializable {}

  public record SetTradingState(TradingState to, String reason, boolean cancelOpen, String by, ActorRef<State> replyTo) implements Command {}

  public record SetLimit(Limit limit, BigDecimal value, String reason, String by, ActorRef<State> replyTo) implements Command {}

  public record Get(ActorRef<State> replyTo) implements Command {}

  public sealed interface Event extends CborSerializable {}

  public record TradingStateChanged(TradingState from, TradingState to, String reason, boolean cancelOpen, String by, Instant at)
      implements Event {}

  public record LimitChanged(Limit limit, BigDecimal from, BigDecimal to, String reason, String by, Instant at) implements Event {}

  /** One line of the audit log as the API shows it. */
  public record AuditEntry(Instant at, String by, String action, String detail, String reason) implements CborSerializable {}

  /**
   * {@code overrides}: only the limits an admin changed; the rest follow the config, so a changed
   * default in conf/risk.conf takes effect for limits nobody overrode.
   */
  public record State(TradingState tradingState, String reason, String by, Instant since, Map<Limit, BigDecimal> overrides,
      List<AuditEntry> audit) implements CborSerializable {

    public Map<Limit, BigDecimal> limits(Map<Limit, BigDecimal> defaults) {
      Map<Limit, BigDecimal> m = new EnumMap<>(defaults);
      m.putAll(overrides);
      return m;
    }

    State apply(Event event, Map<Limit, BigDecimal> defaults, int auditKeep) {
      if (event instanceof TradingStateChanged e) {
        return new State(e.to(), e.reason(), e.by(), e.at(), overrides, append(new AuditEntry(e.at(), e.by(), "trading-state",
            e.from() + " -> " + e.to() + (e.cancelOpen() ? " (cancel open orders)" : ""), e.reason()), auditKeep));
      }
      LimitChanged e = (LimitChanged) event;
      Map<Limit, BigDecimal> next = new EnumMap<>(Limit.class);
      next.putAll(overrides);
      next.put(e.limit(), e.to());
      return new State(tradingState, reason, by, since, Map.copyOf(next), append(new AuditEntry(e.at(), e.by(), "limit",
          e.limit().apiName + " " + e.from().toPlainString() + " -> " + e.to().toPlainString(), e.reason()), auditKeep));
    }

    private List<AuditEntry> append(AuditEntry entry, int keep) {
      List<AuditEntry> next = new ArrayList<>(audit.subList(Math.max(0, audit.size() - keep + 1), audit.size()));
      next.add(entry);
      return List.copyOf(next);
    }
  }

  /**
   * {@code publish}: the state after recovery and after every change; {@code changed}: each
   * journaled change once, after it is journaled (cancel open orders, system events, logs).
   */
  public record Deps(Clock clock, TradingState initialState, Map<Limit, BigDecimal> defaults, int snapshotEvery, int auditKeep,
      Consumer<State> publish, Consumer<Event> changed) {}

  public static Behavior<Command> create(Deps deps) {
    return Behaviors.setup(ctx -> new Guardrails(deps));
  }

  private final Deps deps;

  private Guardrails(Deps deps) {
    super(PERSISTENCE_ID, SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    this.deps = deps;
  }

  @Override
  public State emptyState() {
    return new State(deps.initialState(), "initial state from configuration", "config", null, Map.of(), List.of());
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
        .onCommand(SetTradingState.class, this::onSetTradingState)
        .onCommand(SetLimit.class, this::onSetLimit)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), s))
        .build();
  }

  // a repeated state is journaled too: re-engaging HALTED with cancelOpen cancels what is open now
  private ReplyEffect<Event, State> onSetTradingState(State s, SetTradingState c) {
    return persist(new TradingStateChanged(s.tradingState(), c.to(), c.reason(), c.cancelOpen(), c.by(), deps.clock().instant()), c.replyTo());
  }

  private ReplyEffect<Event, State> onSetLimit(State s, SetLimit c) {
    BigDecimal from = s.limits(deps.defaults()).get(c.limit());
    return persist(new LimitChanged(c.limit(), from, c.value(), c.reason(), c.by(), deps.clock().instant()), c.replyTo());
  }

  private ReplyEffect<Event, State> persist(Event event, ActorRef<State> replyTo) {
    return Effect().persist(event).thenRun(next -> {
      deps.publish().accept(next);
      deps.changed().accept(event);
    }).thenReply(replyTo, next -> next);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent((s, e) -> s.apply(e, deps.defaults(), deps.auditKeep()));
  }
}
