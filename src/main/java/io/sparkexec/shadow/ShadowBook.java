package io.sparkexec.shadow;

import io.sparkexec.CborSerializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The shadow orders, journaled apart from real ones (own persistence id, no "order" tag, so no
 * order projection ever sees them). Keeps the latest {@code keep} in memory for the API and the
 * report, and the order-stream offset the twins have reached.
 */
public final class ShadowBook extends EventSourcedBehaviorWithEnforcedReplies<ShadowBook.Command, ShadowBook.Event, ShadowBook.State> {

  public static final PersistenceId PERSISTENCE_ID = PersistenceId.of("ShadowBook", "node");

  public sealed interface Command extends CborSerializable {}

  /** {@code twinOffset}: for a twin, the offset of its real order's event in the order tag stream; else 0. */
  public record Record(ShadowOrder order, long twinOffset, ActorRef<ShadowOrder> replyTo) implements Command {}

  public record Get(ActorRef<State> replyTo) implements Command {}

  public sealed interface Event extends CborSerializable {}

  public record ShadowRecorded(ShadowOrder order, long twinOffset) implements Event {}

  public record State(List<ShadowOrder> orders, long twinOffset) implements CborSerializable {

    ShadowOrder twinOf(String clientOrderId) {
      for (ShadowOrder o : orders) if (clientOrderId.equals(o.twinOf())) return o;
      return null;
    }

    State apply(ShadowRecorded e, int keep) {
      List<ShadowOrder> next = new ArrayList<>(orders.subList(Math.max(0, orders.size() - keep + 1), orders.size()));
      next.add(e.order());
      return new State(List.copyOf(next), Math.max(twinOffset, e.twinOffset()));
    }
  }

  public static Behavior<Command> create(int keep, int snapshotEvery) {
    return Behaviors.setup(ctx -> new ShadowBook(keep, snapshotEvery));
  }

  private final int keep;
  private final int snapshotEvery;

  private ShadowBook(int keep, int snapshotEvery) {
    super(PERSISTENCE_ID, SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    this.keep = keep;
    this.snapshotEvery = snapshotEvery;
  }

  @Override
  public State emptyState() {
    return new State(List.of(), 0);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(snapshotEvery, 2);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Record.class, this::onRecord)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), s))
        .build();
  }

  // a real order has one twin: a replayed stream element answers the twin already made
  private ReplyEffect<Event, State> onRecord(State s, Record c) {
    ShadowOrder existing = c.order().twinOf() == null ? null : s.twinOf(c.order().twinOf());
    if (existing != null) return Effect().reply(c.replyTo(), existing);
    return Effect().persist(new ShadowRecorded(c.order(), c.twinOffset())).thenReply(c.replyTo(), next -> c.order());
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onEvent(ShadowRecorded.class, (s, e) -> s.apply(e, keep)).build();
  }
}
