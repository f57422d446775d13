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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
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
public final class RiskLedger extends EventSourcedBehaviorWithEnforcedReplies<RiskLedger.Command, RiskLedger.Event, RiskLedger.Ledger> {

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

  /** The offset the ledger has folded up to: where the projection resumes. */
  public record GetOffset(ActorRef<Long> replyTo) implements Command {}

  public sealed interface Event extends CborSerializable {}

  public record Applied(long offset, List<Fact> facts) implements Event {}

  public record OpenOrder(String strategy, String symbol, Side side, BigDecimal remaining) implements CborSerializable {}

  /** What the guard needs of the ledger in one consistent read, for REDUCING: the position and what open orders on one side may still add. */
  public record Exposure(BigDecimal position, BigDecimal openSameSide) {}

  /**
   * The ledger as a snapshot journals it. It keeps the name and the shape of the record the
   * ledger's state was before it was folded in place (the snapshot store files a snapshot under
   * its class name), so snapshots written before still load. {@code recentlyClosed} is in closing order.
   */
  public record State(long offset, LocalDate day, Map<String, BigDecimal> notionalBySymbol, Map<String, BigDecimal> notionalByStrategy,
      Map<String, Map<String, BigDecimal>> positions, Map<String, OpenOrder> open, Map<String, OpenOrder> recentlyClosed,
      Set<String> strategies) implements CborSerializable {}

  /**
   * The folded ledger: the behaviour's state. Mutable and folded in place, so a batch costs O(its facts), never O(open
   * orders or history); copied only into a {@link State}. Written by the ledger's thread alone,
   * read by the guards on any thread: both hold {@link Deps#guardLock()}, the guards for O(1) reads,
   * the ledger while it folds a batch, so a guard sees a batch folded whole or not at all.
   *
   * <p>{@code day}: the UTC day of the latest accepted order; the notional maps count that day only.
   * {@code positions}: (strategy, symbol) -> net filled quantity (buys minus sells). The open counts
   * and the open remaining per (strategy, symbol, side) are running sums over {@code open}.
   * {@code recentlyClosed}: the last {@value #RECENTLY_CLOSED} closed orders, for fills that trail a
   * cancel and for retries of a closed order. {@code strategies}: every strategy an accepted order
   * ever named, kept for good (positions are), so the node can bound how many there are.
   */
  public static final class Ledger {

    /**
     * Never changed: Pekko keeps the empty state for every recovery of an incarnation (a restart
     * after a failed write starts from it again), so the first fold makes the mutable state.
     */
    static final Ledger EMPTY = new Ledger(true);

    private final boolean template;
    private long offset;
    private LocalDate day;
    private final Map<String, BigDecimal> notionalBySymbol = new HashMap<>();
    private final Map<String, BigDecimal> notionalByStrategy = new HashMap<>();
    private final Map<PositionKey, BigDecimal> positions = new HashMap<>();
    private final Map<String, OpenOrder> open = new HashMap<>();
    private final Map<String, Integer> openByStrategy = new HashMap<>();
    private final Map<SideKey, BigDecimal> openRemaining = new HashMap<>();
    private final Set<String> strategies = new HashSet<>();
    private final LinkedHashMap<String, OpenOrder> recentlyClosed = new LinkedHashMap<>(16, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, OpenOrder> eldest) {
        return size() > RECENTLY_CLOSED;
      }
    };

    private record PositionKey(String strategy, String symbol) {}

    private record SideKey(String strategy, String symbol, Side side) {}

    private Ledger(boolean template) {
      this.template = template;
    }

    static Ledger of(State s) {
      Ledger state = new Ledger(false);
      state.offset = s.offset();
      state.day = s.day();
      state.notionalBySymbol.putAll(s.notionalBySymbol());
      state.notionalByStrategy.putAll(s.notionalByStrategy());
      s.positions().forEach((strategy, bySymbol) -> bySymbol.forEach((symbol, q) -> state.positions.put(new PositionKey(strategy, symbol), q)));
      s.open().forEach(state::opened);
      state.recentlyClosed.putAll(s.recentlyClosed());
      if (s.strategies() != null) {
        state.strategies.addAll(s.strategies());
      } else {
        // a snapshot from before the set was kept: the strategies its maps still name
        state.strategies.addAll(s.notionalByStrategy().keySet());
        state.strategies.addAll(s.positions().keySet());
        state.strategies.addAll(state.openByStrategy.keySet());
      }
      return state;
    }

    public long offset() {
      return offset;
    }

    public LocalDate day() {
      return day;
    }

    public BigDecimal position(String strategy, String symbol) {
      return positions.getOrDefault(new PositionKey(strategy, symbol), BigDecimal.ZERO);
    }

    /** Notional placed on {@code today} for one symbol: zero when the ledger's day is another one (roll-over). */
    public BigDecimal symbolNotionalToday(LocalDate today, String symbol) {
      return today.equals(day) ? notionalBySymbol.getOrDefault(symbol, BigDecimal.ZERO) : BigDecimal.ZERO;
    }

    /** Notional placed on {@code today} by one strategy: zero when the ledger's day is another one. */
    public BigDecimal strategyNotionalToday(LocalDate today, String strategy) {
      return today.equals(day) ? notionalByStrategy.getOrDefault(strategy, BigDecimal.ZERO) : BigDecimal.ZERO;
    }

    public int openCount(String strategy) {
      return openByStrategy.getOrDefault(strategy, 0);
    }

    /** Open orders of every strategy together. */
    public int openTotal() {
      return open.size();
    }

    /** An accepted order has named this strategy. */
    public boolean knows(String strategy) {
      return strategies.contains(strategy);
    }

    public int strategyCount() {
      return strategies.size();
    }

    public Exposure exposure(String strategy, String symbol, Side side) {
      return new Exposure(position(strategy, symbol), openRemaining.getOrDefault(new SideKey(strategy, symbol, side), BigDecimal.ZERO));
    }

    /** The ledger has counted this order already (open, or closed recently). */
    public boolean counted(String orderId) {
      return open.containsKey(orderId) || recentlyClosed.containsKey(orderId);
    }

    /** A copy: strategy -> symbol -> net filled quantity. */
    public Map<String, Map<String, BigDecimal>> positions() {
      Map<String, Map<String, BigDecimal>> copy = new HashMap<>();
      positions.forEach((k, q) -> copy.computeIfAbsent(k.strategy(), s -> new HashMap<>()).put(k.symbol(), q));
      return copy;
    }

    /** A copy of the open orders by id. */
    public Map<String, OpenOrder> open() {
      return Map.copyOf(open);
    }

    /** A copy of everything, as journaled in a snapshot (and compared by the restart tests). */
    public State snapshot() {
      Map<String, Map<String, BigDecimal>> pos = new HashMap<>();
      positions().forEach((strategy, bySymbol) -> pos.put(strategy, Map.copyOf(bySymbol)));
      return new State(offset, day, Map.copyOf(notionalBySymbol), Map.copyOf(notionalByStrategy), Map.copyOf(pos), Map.copyOf(open),
          Collections.unmodifiableMap(new LinkedHashMap<>(recentlyClosed)), Set.copyOf(strategies));
    }

    Ledger apply(Applied e) {
      Ledger s = template ? new Ledger(false) : this;
      s.fold(e);
      return s;
    }

    private void fold(Applied e) {
      offset = e.offset();
      for (Fact fact : e.facts()) {
        if (fact instanceof Accepted a) {
          LocalDate factDay = utcDay(a.at());
          if (day == null || factDay.isAfter(day)) {
            day = factDay;
            notionalBySymbol.clear();
            notionalByStrategy.clear();
          }
          // an order accepted before midnight but folded after it counts for its own (past) day: not at all
          if (factDay.equals(day)) {
            notionalBySymbol.merge(a.symbol(), a.notional(), BigDecimal::add);
            notionalByStrategy.merge(a.strategy(), a.notional(), BigDecimal::add);
          }
          strategies.add(a.strategy());
          opened(a.orderId(), new OpenOrder(a.strategy(), a.symbol(), a.side(), a.quantity()));
        } else if (fact instanceof Filled f) {
          filled(f);
        } else {
          closed(fact.orderId());
        }
      }
    }

    private void filled(Filled f) {
      OpenOrder o = open.get(f.orderId());
      boolean isOpen = o != null;
      if (!isOpen) o = recentlyClosed.get(f.orderId());
      if (o == null) return;
      BigDecimal signed = o.side() == Side.BUY ? f.quantity() : f.quantity().negate();
      positions.merge(new PositionKey(o.strategy(), o.symbol()), signed, BigDecimal::add);
      if (!isOpen) return;
      BigDecimal remaining = o.remaining().subtract(f.quantity());
      if (remaining.signum() <= 0) {
        closed(f.orderId());
        return;
      }
      open.put(f.orderId(), new OpenOrder(o.strategy(), o.symbol(), o.side(), remaining));
      openRemaining.merge(new SideKey(o.strategy(), o.symbol(), o.side()), f.quantity().negate(), Ledger::sumOrNull);
    }

    private void opened(String id, OpenOrder o) {
      OpenOrder before = open.put(id, o);
      if (before != null) forget(before);
      openByStrategy.merge(o.strategy(), 1, Integer::sum);
      openRemaining.merge(new SideKey(o.strategy(), o.symbol(), o.side()), o.remaining(), Ledger::sumOrNull);
    }

    private void closed(String id) {
      OpenOrder o = open.remove(id);
      if (o == null) return;
      forget(o);
      recentlyClosed.put(id, new OpenOrder(o.strategy(), o.symbol(), o.side(), BigDecimal.ZERO));
    }

    // takes an open order out of the running sums
    private void forget(OpenOrder o) {
      openByStrategy.computeIfPresent(o.strategy(), (k, n) -> n > 1 ? n - 1 : null);
      openRemaining.merge(new SideKey(o.strategy(), o.symbol(), o.side()), o.remaining().negate(), Ledger::sumOrNull);
    }

    // a sum that reaches zero leaves the map, so the maps hold only what is live
    private static BigDecimal sumOrNull(BigDecimal a, BigDecimal b) {
      BigDecimal sum = a.add(b);
      return sum.signum() == 0 ? null : sum;
    }
  }

  /**
   * {@code guardLock}: held while a batch is folded; the guards read the ledger and their own
   * reservations under it. {@code folded}: called under that lock as each batch is folded (also in
   * replay), with the state and the batch's facts, so the guards release what they reserved for
   * those orders in the same step: an order counts once, never twice and never not at all.
   * Pekko folds a batch before its write is confirmed; the facts come from the durable order
   * journal, so counting them at once is right. {@code recovered}: the state once recovery is done.
   */
  public record Deps(int snapshotEvery, Object guardLock, BiConsumer<Ledger, List<Fact>> folded, Consumer<Ledger> recovered) {}

  public static Behavior<Command> create(Deps deps) {
    return Behaviors.setup(ctx -> new RiskLedger(deps));
  }

  private final Deps deps;

  private RiskLedger(Deps deps) {
    super(PERSISTENCE_ID, SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    this.deps = deps;
  }

  @Override
  public Ledger emptyState() {
    return Ledger.EMPTY;
  }

  @Override
  public SnapshotAdapter<Ledger> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(Ledger state) {
        // on the ledger's thread: the copy is consistent with the snapshot's offset
        return state.snapshot();
      }

      @Override
      public Ledger fromJournal(Object from) {
        return Ledger.of((State) from);
      }
    };
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(deps.snapshotEvery(), 2);
  }

  @Override
  public SignalHandler<Ledger> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), s -> deps.recovered().accept(s)).build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, Ledger> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Apply.class, this::onApply)
        .onCommand(GetOffset.class, (s, c) -> Effect().reply(c.replyTo(), s.offset()))
        .build();
  }

  private ReplyEffect<Event, Ledger> onApply(Ledger s, Apply c) {
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
    return Effect().persist(applied).thenReply(c.replyTo(), next -> Done.getInstance());
  }

  @Override
  public EventHandler<Ledger, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onEvent(Applied.class, this::onApplied).build();
  }

  private Ledger onApplied(Ledger s, Applied e) {
    synchronized (deps.guardLock()) {
      Ledger next = s.apply(e);
      deps.folded().accept(next, e.facts());
      return next;
    }
  }
}
