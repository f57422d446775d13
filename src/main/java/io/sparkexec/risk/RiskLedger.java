package io.sparkexec.risk;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.sparkexec.CborSerializable;
import io.sparkexec.order.OrderDesk;
import io.sparkexec.venue.Side;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.AbstractMap;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * What the limits need to remember across restarts, folded from the order room's tag stream
 * ({@link RiskProjection}): net position per (strategy, symbol) from fills, notional placed per
 * symbol and per strategy on the current UTC day, and the open orders. It journals the facts it
 * folded in batches, with the stream offset they reach, so a restart resumes the stream exactly
 * where the ledger stopped and replay is bounded by snapshots.
 */
public final class RiskLedger extends EventSourcedBehaviorWithEnforcedReplies<RiskLedger.Command, RiskLedger.Event, RiskLedger.State> {

  public static final PersistenceId PERSISTENCE_ID = PersistenceId.of("RiskLedger", "node");
  /** The strategy key of orders placed without one: not a valid strategy name, so it cannot collide. */
  public static final String NO_STRATEGY = "(none)";
  private static final int RECENTLY_CLOSED = 10_000;

  public static String strategyKey(String strategy) {
    return strategy == null ? NO_STRATEGY : strategy;
  }

  public static LocalDate utcDay(Instant at) {
    return LocalDate.ofInstant(at, ZoneOffset.UTC);
  }

  // ---- facts: the part of an order event the limits care about ----

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "fact")
  @JsonSubTypes({
      @JsonSubTypes.Type(value = Accepted.class, name = "accepted"),
      @JsonSubTypes.Type(value = Filled.class, name = "filled"),
      @JsonSubTypes.Type(value = Closed.class, name = "closed")})
  public sealed interface Fact extends CborSerializable {
    String orderId();
  }

  /** {@code notional}: quantity x limit price, or x the touch when accepted (MARKET). */
  public record Accepted(String orderId, String strategy, String symbol, Side side, BigDecimal quantity, BigDecimal notional, Instant at)
      implements Fact {}

  public record Filled(String orderId, BigDecimal quantity) implements Fact {}

  public record Closed(String orderId) implements Fact {}

  /** The fact in an order event, or null for events the limits ignore (acknowledgements). */
  public static Fact factOf(String orderId, Object event) {
    if (event instanceof OrderDesk.OrderAccepted e) {
      var spec = e.spec();
      BigDecimal price = spec.price() != null ? spec.price() : e.decisionPrice();
      return new Accepted(orderId, strategyKey(spec.strategy()), spec.symbol(), spec.side(), spec.quantity(),
          price == null ? BigDecimal.ZERO : spec.quantity().multiply(price), e.acceptedAt());
    }
    if (event instanceof OrderDesk.OrderFilled e) return new Filled(orderId, e.fill().quantity());
    if (event instanceof OrderDesk.OrderCanceled || event instanceof OrderDesk.OrderRejected || event instanceof OrderDesk.OrderExpired) {
      return new Closed(orderId);
    }
    return null;
  }

  // ---- protocol ----

  public sealed interface Command extends CborSerializable {}

  /** One stream element: its offset in the order tag stream and its fact (null: nothing to fold). */
  public record Entry(long offset, Fact fact) implements CborSerializable {}

  /** Entries at or below the ledger's offset were folded already and are skipped (at-least-once stream). */
  public record Apply(List<Entry> entries, ActorRef<Done> replyTo) implements Command {}

  public record Get(ActorRef<State> replyTo) implements Command {}

  public sealed interface Event extends CborSerializable {}

  public record Applied(long offset, List<Fact> facts) implements Event {}

  public record OpenOrder(String strategy, String symbol, Side side, BigDecimal remaining) implements CborSerializable {}

  /**
   * {@code day}: the UTC day of the latest accepted order; the notional maps count that day only.
   * {@code positions}: strategy -> symbol -> net filled quantity (buys minus sells).
   * {@code recentlyClosed}: closed orders remembered (bounded, oldest first) for fills that trail a cancel.
   */
  public record State(long offset, LocalDate day, Map<String, BigDecimal> notionalBySymbol, Map<String, BigDecimal> notionalByStrategy,
      Map<String, Map<String, BigDecimal>> positions, Map<String, OpenOrder> open, Map<String, OpenOrder> recentlyClosed)
      implements CborSerializable {

    /**
     * Never changed: Pekko keeps the empty state for every recovery of an incarnation (a restart
     * after a failed write starts from it again), so the first fold makes the mutable set.
     */
    public static final State EMPTY = new State(0, null, Map.of(), Map.of(), Map.of(), Map.of(), Map.of());

    public BigDecimal position(String strategy, String symbol) {
      return positions.getOrDefault(strategy, Map.of()).getOrDefault(symbol, BigDecimal.ZERO);
    }

    /** Notional placed on {@code today}: zero when the ledger's day is another one (roll-over). */
    public BigDecimal notionalToday(LocalDate today, Map<String, BigDecimal> byKey, String key) {
      return today.equals(day) ? byKey.getOrDefault(key, BigDecimal.ZERO) : BigDecimal.ZERO;
    }

    /**
     * Fold of one batch; one copy of each small map per batch, not per fact. The recently-closed
     * set is the one thing too large to copy per batch: it is appended to in place (only this
     * ledger's thread writes it; readers of older states see it only grow newer).
     */
    State apply(Applied e) {
      LocalDate d = day;
      Map<String, BigDecimal> bySymbol = new HashMap<>(notionalBySymbol);
      Map<String, BigDecimal> byStrategy = new HashMap<>(notionalByStrategy);
      Map<String, Map<String, BigDecimal>> pos = new HashMap<>(positions);
      Map<String, OpenOrder> opened = new HashMap<>(open);
      RecentlyClosed closed = RecentlyClosed.of(recentlyClosed);
      for (Fact fact : e.facts()) {
        if (fact instanceof Accepted a) {
          LocalDate factDay = utcDay(a.at());
          if (d == null || factDay.isAfter(d)) {
            d = factDay;
            bySymbol.clear();
            byStrategy.clear();
          }
          // an order accepted before midnight but folded after it counts for its own (past) day: not at all
          if (factDay.equals(d)) {
            bySymbol.merge(a.symbol(), a.notional(), BigDecimal::add);
            byStrategy.merge(a.strategy(), a.notional(), BigDecimal::add);
          }
          opened.put(a.orderId(), new OpenOrder(a.strategy(), a.symbol(), a.side(), a.quantity()));
        } else if (fact instanceof Filled f) {
          OpenOrder o = opened.get(f.orderId());
          if (o == null) o = closed.get(f.orderId());
          if (o == null) continue;
          BigDecimal signed = o.side() == Side.BUY ? f.quantity() : f.quantity().negate();
          Map<String, BigDecimal> bySym = new HashMap<>(pos.getOrDefault(o.strategy(), Map.of()));
          bySym.merge(o.symbol(), signed, BigDecimal::add);
          pos.put(o.strategy(), Map.copyOf(bySym));
          if (opened.containsKey(f.orderId())) {
            BigDecimal remaining = o.remaining().subtract(f.quantity());
            if (remaining.signum() > 0) opened.put(f.orderId(), new OpenOrder(o.strategy(), o.symbol(), o.side(), remaining));
            else close(f.orderId(), opened, closed);
          }
        } else {
          close(fact.orderId(), opened, closed);
        }
      }
      return new State(e.offset(), d, Map.copyOf(bySymbol), Map.copyOf(byStrategy), Map.copyOf(pos), Map.copyOf(opened), closed);
    }

    private static void close(String id, Map<String, OpenOrder> opened, RecentlyClosed closed) {
      OpenOrder o = opened.remove(id);
      if (o == null) return;
      closed.add(id, new OpenOrder(o.strategy(), o.symbol(), o.side(), BigDecimal.ZERO));
    }

    /** The state as a snapshot: an immutable copy of the recently-closed set, in closing order. */
    State forSnapshot() {
      return new State(offset, day, notionalBySymbol, notionalByStrategy, positions, open,
          Collections.unmodifiableMap(new LinkedHashMap<>(recentlyClosed)));
    }
  }

  /**
   * The last {@value #RECENTLY_CLOSED} closed orders, oldest first: written by the ledger's thread
   * only, read from any (the risk guard's retry check), so lookups are concurrent-safe and adding
   * one costs O(1), never a copy.
   */
  static final class RecentlyClosed extends AbstractMap<String, OpenOrder> {
    private final ConcurrentHashMap<String, OpenOrder> byId = new ConcurrentHashMap<>();
    private final ConcurrentLinkedDeque<String> order = new ConcurrentLinkedDeque<>();

    static RecentlyClosed of(Map<String, OpenOrder> closed) {
      if (closed instanceof RecentlyClosed rc) return rc;
      RecentlyClosed rc = new RecentlyClosed();
      closed.forEach(rc::add);
      return rc;
    }

    void add(String id, OpenOrder o) {
      if (byId.put(id, o) == null) order.addLast(id);
      while (byId.size() > RECENTLY_CLOSED) {
        String oldest = order.pollFirst();
        if (oldest == null) break;
        byId.remove(oldest);
      }
    }

    @Override
    public OpenOrder get(Object id) {
      return byId.get(id);
    }

    @Override
    public boolean containsKey(Object id) {
      return byId.containsKey(id);
    }

    @Override
    public int size() {
      return byId.size();
    }

    @Override
    public Set<Map.Entry<String, OpenOrder>> entrySet() {
      Set<Map.Entry<String, OpenOrder>> entries = new LinkedHashSet<>();
      for (String id : order) {
        OpenOrder o = byId.get(id);
        if (o != null) entries.add(new SimpleImmutableEntry<>(id, o));
      }
      return entries;
    }
  }

  /** {@code publish}: the state after recovery (no facts) and after every batch (the facts it folded). */
  public record Deps(int snapshotEvery, BiConsumer<State, List<Fact>> publish) {}

  public static Behavior<Command> create(Deps deps) {
    return Behaviors.setup(ctx -> new RiskLedger(deps));
  }

  private final Deps deps;

  private RiskLedger(Deps deps) {
    super(PERSISTENCE_ID, SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    this.deps = deps;
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(State state) {
        // on the ledger's thread: the copy is consistent with the snapshot's offset
        return state.forSnapshot();
      }

      @Override
      public State fromJournal(Object from) {
        State s = (State) from;
        return new State(s.offset(), s.day(), s.notionalBySymbol(), s.notionalByStrategy(), s.positions(), s.open(),
            RecentlyClosed.of(s.recentlyClosed()));
      }
    };
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(deps.snapshotEvery(), 2);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), s -> deps.publish().accept(s, List.of())).build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Apply.class, this::onApply)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), s))
        .build();
  }

  private ReplyEffect<Event, State> onApply(State s, Apply c) {
    long offset = s.offset();
    List<Fact> facts = new ArrayList<>(c.entries().size());
    for (Entry entry : c.entries()) {
      if (entry.offset() <= s.offset()) continue;
      offset = Math.max(offset, entry.offset());
      if (entry.fact() != null) facts.add(entry.fact());
    }
    // events the limits ignore are not journaled; after a restart they are read again, harmlessly
    if (facts.isEmpty()) return Effect().reply(c.replyTo(), Done.getInstance());
    Applied applied = new Applied(offset, List.copyOf(facts));
    return Effect().persist(applied)
        .thenRun(next -> deps.publish().accept(next, applied.facts()))
        .thenReply(c.replyTo(), next -> Done.getInstance());
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onEvent(Applied.class, State::apply).build();
  }
}
