package io.sparkexec.shadow;

import com.fasterxml.jackson.annotation.JsonCreator;
import io.sparkexec.CborSerializable;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import io.sparkexec.journal.CopyingSnapshotAdapter;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The shadow orders, journaled apart from real ones (own persistence id, no "order" tag, so no
 * order projection ever sees them). Keeps the latest {@code keep} in memory for the API and the
 * report, and the order-stream offset the twins have reached. The state is mutable and confined
 * to the book: an order costs O(1) (append, evict the oldest, index its twin); replies and
 * snapshots get copies.
 */
public final class ShadowBook extends EventSourcedBehaviorWithEnforcedReplies<ShadowBook.Command, ShadowBook.Event, ShadowBook.State> {

  public static final PersistenceId PERSISTENCE_ID = PersistenceId.of("ShadowBook", "node");

  public sealed interface Command extends CborSerializable {}

  /** {@code twinOffset}: for a twin, the offset of its real order's event in the order tag stream; else 0. */
  public record Record(ShadowOrder order, long twinOffset, ActorRef<ShadowOrder> replyTo) implements Command {}

  public record Get(ActorRef<State> replyTo) implements Command {}

  public sealed interface Event extends CborSerializable {}

  public record ShadowRecorded(ShadowOrder order, long twinOffset) implements Event {}

  /**
   * The latest orders, oldest first, with the kept twins indexed by the real order they shadow
   * (evicted together). Changed in place by the event handler only. Its serialized form is the
   * record it replaced ({@code orders}, {@code twinOffset}), so snapshots written before still load.
   */
  public static final class State implements CborSerializable {

    /**
     * Never changed: Pekko keeps the empty state for every recovery of an incarnation (a restart
     * after a failed write starts from it again), so the first event makes a live state.
     */
    static final State EMPTY = new State(List.of(), 0);

    private final ArrayDeque<ShadowOrder> orders = new ArrayDeque<>();
    private long twinOffset;
    private final transient Map<String, ShadowOrder> twins = new HashMap<>();

    @JsonCreator
    private State(Collection<ShadowOrder> orders, long twinOffset) {
      orders.forEach(this::add);
      this.twinOffset = twinOffset;
    }

    /** A live state to change: this one, or a new one instead of {@link #EMPTY}. */
    State live() {
      return this == EMPTY ? copy() : this;
    }

    /** An equal state sharing no collection with this one (orders are immutable records). */
    State copy() {
      return new State(orders, twinOffset);
    }

    public List<ShadowOrder> orders() {
      return List.copyOf(orders);
    }

    public long twinOffset() {
      return twinOffset;
    }

    ShadowOrder twinOf(String clientOrderId) {
      return twins.get(clientOrderId);
    }

    State recorded(ShadowRecorded e, int keep) {
      add(e.order());
      while (orders.size() > keep) {
        ShadowOrder evicted = orders.pollFirst();
        if (evicted.twinOf() != null) twins.remove(evicted.twinOf(), evicted);
      }
      twinOffset = Math.max(twinOffset, e.twinOffset());
      return this;
    }

    private void add(ShadowOrder o) {
      orders.addLast(o);
      if (o.twinOf() != null) twins.put(o.twinOf(), o);
    }

    /** Equal orders in equal order and the same offset (the twin index follows from the orders). */
    @Override
    public boolean equals(Object o) {
      return o instanceof State s && twinOffset == s.twinOffset && Arrays.equals(orders.toArray(), s.orders.toArray());
    }

    @Override
    public int hashCode() {
      return 31 * Arrays.hashCode(orders.toArray()) + Long.hashCode(twinOffset);
    }

    @Override
    public String toString() {
      return "State[orders=" + orders + ", twinOffset=" + twinOffset + "]";
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
    return State.EMPTY;
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return new CopyingSnapshotAdapter<>(State.class, State::copy);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(snapshotEvery, 2);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Record.class, this::onRecord)
        // a copy: the reply is read on another thread while the book moves on
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), s.copy()))
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
    return newEventHandlerBuilder().forAnyState().onEvent(ShadowRecorded.class, (s, e) -> s.live().recorded(e, keep)).build();
  }
}
