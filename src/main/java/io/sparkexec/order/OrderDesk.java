package io.sparkexec.order;

import io.sparkexec.CborSerializable;
import io.sparkexec.batch.Batcher;
import io.sparkexec.metrics.Metrics;
import io.sparkexec.venue.MarketData;
import io.sparkexec.venue.OrderSpec;
import io.sparkexec.venue.Venue;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.apache.pekko.persistence.typed.javadsl.SnapshotCountRetentionCriteria;

/**
 * The order desk: one event-sourced writer per symbol, sharded by symbol, owning that symbol's
 * open orders. It journals what must survive a crash and no more: accepted, in doubt (off the
 * happy path), acknowledged with the fills and final state that came with the ack, later fills,
 * and the final state.
 *
 * <p><b>Natural batching.</b> A place does not persist at once: it joins the write buffer, and
 * the first one in tells the desk {@code Flush}. While a write is in flight Pekko stashes what
 * arrives; when it completes those commands join the buffer before the {@code Flush} is taken,
 * so a burst becomes one {@code persistAll} (at most {@code maxBatch} new orders), and the new
 * orders of one write go to the venue as one batch. A lone order pays one message to itself.
 * The venue's answers for a batch come back as one message and go into the buffer the same way.
 *
 * <p><b>State.</b> Open orders and a bounded set of recently final ones, in mutable maps: the
 * event handler is deterministic and touches nothing but the state, but it does not copy maps
 * (that would cost O(open orders) per event). Snapshots (every {@code snapshotEvery} events, two
 * kept) carry the open orders, plus any final ones the {@link OrderIndex} has not stored yet, so
 * recovery is bounded by open orders, never by history. Final orders live on in the index.
 *
 * <p>Every decision is taken against the order as it will be once the buffer is written
 * ({@code projected}), so two venue reports for one order in one buffer cannot double a fill.
 */
public final class OrderDesk
    extends EventSourcedBehaviorWithEnforcedReplies<OrderDesk.Command, OrderDesk.Event, OrderDesk.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "OrderDesk");
  /** Every real order event carries this tag: the global order event stream (feed, risk ledger, shadow twins, export). */
  public static final String TAG = "order";
  /**
   * Desk ids with this prefix take the executor's own synthetic orders (canary, warm-up): same
   * code, same journal, same venue, but untagged and unindexed, so they leave no trace in user data.
   */
  public static final String SYNTHETIC_PREFIX = "synthetic-";
  private static final Set<String> TAGS = Set.of(TAG);

  // ---- protocol ----

  public sealed interface Command extends CborSerializable {}

  public record Place(OrderRequest request, Instant receivedAt, ActorRef<Reply> replyTo) implements Command {}

  public record Cancel(String clientOrderId, ActorRef<Reply> replyTo) implements Command {}

  public record Get(String clientOrderId, ActorRef<Reply> replyTo) implements Command {}

  /**
   * One page of the desk's open orders, oldest accepted first: at most {@code limit} of those of
   * {@code strategies} (null: every order) listed after {@code after} (null: from the oldest).
   */
  public record ListOpen(Set<String> strategies, Order.ListingKey after, int limit, ActorRef<OpenOrders> replyTo) implements Command {}

  /** An execution report the venue pushed on its own (fills of resting orders, venue-side cancels). */
  public record ApplyVenueReport(Venue.VenueOrderReport report) implements Command {}

  /** Restart reconciliation: check the order with the venue now and answer what that corrected. */
  public record Reconcile(String clientOrderId, ActorRef<Reply> replyTo) implements Command {}

  /** Start (recover) the desk; it answers with its open orders once recovered. */
  public record Start(ActorRef<OpenOrders> replyTo) implements Command {}

  /** Sent by sharding to stop the desk once its persists are done. */
  public enum Stop implements Command {
    INSTANCE
  }

  private enum Flush implements Command {
    INSTANCE
  }

  private record SubmitOutcomes(Batcher.Outcomes outcomes) implements Command {}

  private record CancelOutcome(String clientOrderId, Venue.CancelResult result) implements Command {}

  private record QueryOutcome(String clientOrderId, Venue.VenueOrderReport report, boolean known, String error) implements Command {}

  /** The in-doubt checker's tick for one order (also its timer key). */
  private record CheckVenue(String clientOrderId) implements Command {}

  public sealed interface Reply extends CborSerializable {}

  public record Found(Order order) implements Reply {}

  public enum NotFound implements Reply {
    INSTANCE
  }

  /** The clientOrderId is taken by an order with another body. */
  public record Conflict(Order existing) implements Reply {}

  /** Cancel of an order that is already final. */
  public record NotOpen(Order order) implements Reply {}

  /** The venue check of {@link Reconcile} was done; corrections name what it journaled or did (see {@link #correctionOf}). */
  public record Reconciled(Order order, List<String> corrections) implements Reply {}

  /** The venue could not be asked; reconciliation tries again later. */
  public record ReconcileFailed(String error) implements Reply {}

  /** {@code more}: the desk holds further orders of the listing after these. */
  public record OpenOrders(String symbol, List<Order> orders, boolean more) implements CborSerializable {}

  /**
   * An order event; events are facts about one order of the desk, named by its clientOrderId.
   * Each carries its order's strategy too, so a reader of the tag stream can scope it (the feed's
   * strategy-bound keys) without looking the order up.
   */
  public sealed interface Event extends CborSerializable {
    String clientOrderId();

    /** Null when the order has none, and on events journaled before events carried it (the order index knows it then). */
    String strategy();
  }

  public record OrderAccepted(String clientOrderId, OrderSpec spec, BigDecimal decisionPrice, Instant receivedAt, Instant acceptedAt)
      implements Event {
    @Override
    public String strategy() {
      return spec.strategy();
    }
  }

  /** A submit's outcome is unknown: journaled so the doubt shows and survives a restart. Never on the happy path. */
  public record OrderInDoubt(String clientOrderId, String strategy, String reason, Instant at) implements Event {}

  public record OrderAcknowledged(String clientOrderId, String strategy, String venueOrderId, Instant sentAt, Instant acknowledgedAt)
      implements Event {}

  public record OrderFilled(String clientOrderId, String strategy, Venue.Fill fill) implements Event {}

  public record OrderCanceled(String clientOrderId, String strategy, String reason, Instant at) implements Event {}

  public record OrderRejected(String clientOrderId, String strategy, String reason, String rejectedBy, Instant at) implements Event {}

  public record OrderExpired(String clientOrderId, String strategy, String reason, Instant at) implements Event {}

  /**
   * The desk's state: open orders by id, and the last {@code recentBound} final ones (oldest
   * first). Mutable on purpose (see the class comment); only the event handler changes it. The
   * open orders are also kept in listing order, all of them and per strategy, so a page of the
   * listing costs O(page x log open) and a strategy's page never walks other strategies' orders.
   */
  public static final class State {
    private final Map<String, Order> open = new HashMap<>();
    private final TreeSet<Order.ListingKey> listing = new TreeSet<>();
    private final Map<String, TreeSet<Order.ListingKey>> listingByStrategy = new HashMap<>();
    private final LinkedHashMap<String, Order> recentFinals;
    private final int recentBound;
    // the empty state Pekko starts every recovery of an incarnation from: never changed itself
    private final boolean template;

    private State(int recentBound, boolean template) {
      this.recentBound = recentBound;
      this.template = template;
      this.recentFinals = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Order> eldest) {
          return size() > recentBound;
        }
      };
    }

    /** The order if this desk still holds it (open, or recently final). */
    public Order find(String clientOrderId) {
      Order o = open.get(clientOrderId);
      return o != null ? o : recentFinals.get(clientOrderId);
    }

    public Map<String, Order> open() {
      return java.util.Collections.unmodifiableMap(open);
    }

    /** A fresh state to fill (recovery from a snapshot). */
    static State fresh(int recentBound) {
      return new State(recentBound, false);
    }

    State apply(Event event) {
      // Pekko applies events before the write completes and, after a failed write, recovers again
      // from the empty state it was given once: that one must stay empty
      if (template) return fresh(recentBound).apply(event);
      if (event instanceof OrderAccepted accepted) {
        opened(Order.accepted(accepted));
        return this;
      }
      String id = event.clientOrderId();
      Order before = find(id);
      // a late fill of an order this desk no longer holds: the index keeps it, not the desk
      if (before == null) return this;
      Order after = before.apply(event);
      if (after.status().isFinal()) {
        Order closed = open.remove(id);
        if (closed != null) unlisted(closed);
        recentFinals.put(id, after);
      } else {
        open.put(id, after);
      }
      return this;
    }

    private void opened(Order o) {
      Order before = open.put(o.clientOrderId(), o);
      if (before != null) unlisted(before);
      listing.add(o.listingKey());
      if (o.strategy() != null) listingByStrategy.computeIfAbsent(o.strategy(), k -> new TreeSet<>()).add(o.listingKey());
    }

    private void unlisted(Order o) {
      listing.remove(o.listingKey());
      TreeSet<Order.ListingKey> own = o.strategy() == null ? null : listingByStrategy.get(o.strategy());
      if (own != null && own.remove(o.listingKey()) && own.isEmpty()) listingByStrategy.remove(o.strategy());
    }

    /** At most {@code limit} open orders after {@code after} (null: from the oldest), of {@code strategies} (null: all). */
    OpenOrders page(String symbol, Set<String> strategies, Order.ListingKey after, int limit) {
      List<Order.ListingKey> keys = new ArrayList<>();
      boolean more = false;
      if (strategies == null) {
        more = take(listing, after, limit, keys);
      } else {
        for (String strategy : strategies) {
          TreeSet<Order.ListingKey> own = listingByStrategy.get(strategy);
          if (own != null) more |= take(own, after, limit, keys);
        }
        // several strategies: each gave its first limit; the page is the first limit of them all
        keys.sort(null);
        if (keys.size() > limit) {
          keys.subList(limit, keys.size()).clear();
          more = true;
        }
      }
      List<Order> orders = new ArrayList<>(keys.size());
      for (Order.ListingKey k : keys) orders.add(open.get(k.clientOrderId()));
      return new OpenOrders(symbol, orders, more);
    }

    /** Adds at most {@code limit} keys after {@code after}; true when the set holds more. */
    private static boolean take(TreeSet<Order.ListingKey> set, Order.ListingKey after, int limit, List<Order.ListingKey> into) {
      Iterator<Order.ListingKey> it = (after == null ? set : set.tailSet(after, false)).iterator();
      for (int n = 0; n < limit && it.hasNext(); n++) into.add(it.next());
      return it.hasNext();
    }
  }

  /** What a snapshot holds: the open orders, and final ones the index had not stored yet. */
  public record Snapshot(List<Order> open, List<Order> unindexedFinals) implements CborSerializable {}

  /** The desk's limits. {@code maxBatch}: new orders per journal write and per venue batch (BATCH_MAX_SIZE; 1 with BATCH_ENABLED=false). */
  public record Settings(int maxBatch, int snapshotEvery, int recentFinals) {
    public static Settings fromConfig(com.typesafe.config.Config desk, Batcher.Settings batch) {
      return new Settings(batch.enabled() ? batch.maxSize() : 1, desk.getInt("snapshot-every"), desk.getInt("recent-finals"));
    }
  }

  /** What the desk needs from the rooms below it and from the node. */
  public record Deps(
      MarketData marketData,
      Function<String, ActorRef<Batcher.Command>> batcherFor,
      Venue venue,
      VenueChecks venueChecks,
      OrderIndex index,
      Clock clock,
      InDoubt inDoubt,
      Settings settings) {}

  /**
   * The in-doubt checker (conf/reconciliation.conf): the first check after {@code checkInterval},
   * doubling to {@code maxCheckInterval}; a resubmit again only once the last one's outcome is in
   * and a query sent {@code resubmitQuiet} after it still found nothing; given up only when the
   * venue has been unreachable for {@code giveUpAfter}.
   */
  public record InDoubt(Duration checkInterval, Duration maxCheckInterval, Duration resubmitQuiet, Duration giveUpAfter) {
    public static InDoubt fromConfig(com.typesafe.config.Config inDoubt) {
      return new InDoubt(inDoubt.getDuration("check-interval"), inDoubt.getDuration("max-check-interval"), inDoubt.getDuration("resubmit-quiet"),
          inDoubt.getDuration("give-up-after"));
    }
  }

  /** {@code deskId}: the symbol, or {@link #SYNTHETIC_PREFIX} + the symbol. */
  public static Behavior<Command> create(String deskId, Deps deps) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new OrderDesk(deskId, deps, ctx, timers)));
  }

  /** The symbol a desk id trades. */
  public static String symbolOf(String deskId) {
    return deskId.startsWith(SYNTHETIC_PREFIX) ? deskId.substring(SYNTHETIC_PREFIX.length()) : deskId;
  }

  // ---- the desk ----

  private record Waiter(OrderRequest.RespType until, ActorRef<Reply> replyTo) {}

  /**
   * What the desk knows of one order beyond its journaled state, lost on restart: who waits for
   * what, a cancel in progress, the in-doubt checker's count. Exists only while needed.
   */
  private static final class Tracking {
    final List<Waiter> waiters = new ArrayList<>(1);
    final List<ActorRef<Reply>> cancelWaiters = new ArrayList<>(0);
    final List<ActorRef<Reply>> reconcileWaiters = new ArrayList<>(0);
    boolean cancelRequested;
    boolean cancelAtVenueInFlight;
    int checks;
    boolean checkInFlight;
    boolean resubmitted;
    // the in-doubt checker's clock, in scheduled waits (no wall clock: deterministic, and it is what was waited)
    Duration nextWait;
    Duration unreachable = Duration.ZERO;
    boolean lastCheckFailed;
    boolean resubmitInFlight;
    // waited since the last resubmit's outcome came in (null: none came in yet)
    Duration sinceResubmitSettled;
    boolean checkSentAfterQuiet;
    String lastDoubt;
    boolean countedInDoubt;
    // place->ack is measured only for a real order this incarnation took
    boolean timePlaceAck;
  }

  private final String deskId;
  private final String symbol;
  private final boolean synthetic;
  private final Deps deps;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final ActorRef<Batcher.Outcomes> submitReplies;
  private final Map<String, Tracking> tracking = new HashMap<>();
  // the write buffer: events not yet persisted, what to do once they are, the orders as they will be
  private final List<Event> buffer = new ArrayList<>();
  private final List<Runnable> afterWrite = new ArrayList<>();
  private final Map<String, Order> projected = new HashMap<>();
  private final Set<String> finalizedInBuffer = new HashSet<>();
  private final List<Order> claimed = new ArrayList<>();
  private int newInBuffer;
  private boolean flushSent;
  private int countedInDoubt;

  private OrderDesk(String deskId, Deps deps, ActorContext<Command> ctx, TimerScheduler<Command> timers) {
    super(PersistenceId.of(ENTITY_KEY.name(), deskId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    this.deskId = deskId;
    this.symbol = symbolOf(deskId);
    this.synthetic = deskId.startsWith(SYNTHETIC_PREFIX);
    this.deps = deps;
    this.ctx = ctx;
    this.timers = timers;
    this.submitReplies = ctx.messageAdapter(Batcher.Outcomes.class, SubmitOutcomes::new);
  }

  @Override
  public State emptyState() {
    return new State(deps.settings().recentFinals(), true);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return synthetic ? Set.of() : TAGS;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    SnapshotCountRetentionCriteria every = RetentionCriteria.snapshotEvery(deps.settings().snapshotEvery(), 2);
    // synthetic orders are nobody's history: only the snapshots' open orders matter
    return synthetic ? every.withDeleteEventsOnSnapshot() : every;
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(State state) {
        // called on the desk's thread, so reading the mutable maps here is safe
        List<Order> unindexed = new ArrayList<>();
        for (Order o : state.recentFinals.values()) if (!synthetic && deps.index().isPending(o.clientOrderId())) unindexed.add(o);
        return new Snapshot(List.copyOf(state.open.values()), unindexed);
      }

      @Override
      public State fromJournal(Object from) {
        State state = State.fresh(deps.settings().recentFinals());
        Snapshot s = (Snapshot) from;
        for (Order o : s.open()) state.opened(o);
        for (Order o : s.unindexedFinals()) state.recentFinals.put(o.clientOrderId(), o);
        return state;
      }
    };
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecovered)
        // a stopped or restarted incarnation no longer counts, and its unwritten claims are free again
        .onSignal(PostStop.instance(), state -> letGo())
        .onSignal(PreRestart.instance(), state -> letGo())
        .build();
  }

  private void letGo() {
    Metrics.ORDERS_IN_DOUBT.withoutTags().decrement(countedInDoubt);
    countedInDoubt = 0;
    for (Order o : claimed) deps.index().release(o);
    claimed.clear();
  }

  /**
   * Re-indexes what it recovered (a crash may have lost the index's last writes), and checks
   * every unacknowledged order with the venue after one interval: a (re)started order does not
   * know whether its submit arrived. Acknowledged ones wait for reconciliation or the venue's reports.
   */
  private void onRecovered(State state) {
    for (Order o : state.open.values()) {
      if (!synthetic) deps.index().written(o);
      Tracking t = track(o.clientOrderId());
      trackInDoubt(o, t);
      if (!o.acknowledgedByVenue()) {
        t.lastDoubt = o.status() == Order.Status.IN_DOUBT ? o.reason() : "restarted before the venue answered";
        scheduleCheck(o.clientOrderId());
      }
    }
    if (!synthetic) for (Order o : state.recentFinals.values()) deps.index().written(o);
    ctx.getLog().info("event=order_desk_recovered desk={} openOrders={} recentFinals={}", deskId, state.open.size(), state.recentFinals.size());
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Place.class, this::onPlace)
        .onCommand(Flush.class, (s, c) -> onFlush())
        .onCommand(SubmitOutcomes.class, (s, c) -> onSubmitOutcomes(s, c.outcomes()))
        .onCommand(Get.class, this::onGet)
        .onCommand(ListOpen.class, (s, c) -> Effect().reply(c.replyTo(), s.page(symbol, c.strategies(), c.after(), c.limit())))
        .onCommand(Start.class, this::onStart)
        .onCommand(Cancel.class, this::onCancel)
        .onCommand(ApplyVenueReport.class, (s, c) -> onVenueReport(s, c.report()))
        .onCommand(CancelOutcome.class, this::onCancelOutcome)
        .onCommand(QueryOutcome.class, this::onQueryOutcome)
        .onCommand(CheckVenue.class, this::onCheckVenue)
        .onCommand(Reconcile.class, this::onReconcile)
        .onCommand(Stop.class, c -> onStop())
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  // ---- reads ----

  private ReplyEffect<Event, State> onGet(State state, Get get) {
    Order o = state.find(get.clientOrderId());
    return Effect().reply(get.replyTo(), o != null ? new Found(o) : NotFound.INSTANCE);
  }

  private ReplyEffect<Event, State> onStart(State state, Start start) {
    // a command reaches the handler only after recovery, so this answers at once
    return Effect().reply(start.replyTo(), state.page(symbol, null, null, Integer.MAX_VALUE));
  }

  // ---- placing ----

  private ReplyEffect<Event, State> onPlace(State state, Place place) {
    OrderRequest r = place.request();
    String id = r.clientOrderId();
    Order existing = current(state, id);
    if (existing == null) {
      MarketData.Quote quote = deps.marketData().quote(symbol);
      OrderAccepted accepted = new OrderAccepted(id, r.spec(), quote == null ? null : quote.touch(r.side()), place.receivedAt(),
          deps.clock().instant());
      Order candidate = Order.accepted(accepted);
      existing = synthetic ? null : deps.index().claim(candidate);
      if (existing == null) {
        if (!synthetic) claimed.add(candidate);
        Tracking t = track(id);
        t.waiters.add(new Waiter(r.respType(), place.replyTo()));
        t.timePlaceAck = !synthetic;
        newInBuffer++;
        buffer(accepted, candidate, null);
        return newInBuffer >= deps.settings().maxBatch() ? write() : Effect().noReply();
      }
    }
    // the same clientOrderId again: the same order joins its waiters, another one is a conflict
    if (!r.spec().sameAs(existing.spec())) return Effect().reply(place.replyTo(), new Conflict(existing));
    boolean buffered = projected.containsKey(id);
    if (!buffered && (existing.status().isFinal() || state.find(id) == null)) {
      // final (or let go by this desk, so final too): nothing more to wait for
      return Effect().reply(place.replyTo(), new Found(existing));
    }
    Tracking t = track(id);
    t.waiters.add(new Waiter(r.respType(), place.replyTo()));
    if (!buffered) notifyWaiters(existing, t);
    return Effect().noReply();
  }

  /** The order as it will be once the buffer is written, else as journaled; null if this desk does not hold it. */
  private Order current(State state, String id) {
    Order p = projected.get(id);
    return p != null ? p : state.find(id);
  }

  /**
   * Adds one event to the write buffer. The write happens when the desk's {@code Flush} comes
   * round (or at once in {@link #onPlace} when the buffer holds {@code maxBatch} new orders).
   */
  private void buffer(Event event, Order after, Runnable then) {
    buffer.add(event);
    projected.put(event.clientOrderId(), after);
    if (then != null) afterWrite.add(then);
    if (!flushSent) {
      flushSent = true;
      ctx.getSelf().tell(Flush.INSTANCE);
    }
  }

  /** Buffers one order's events (none: runs {@code then} now); a transition to final is remembered for the metric. */
  private ReplyEffect<Event, State> bufferAll(Order order, List<Event> events, Runnable then) {
    if (events.isEmpty()) {
      if (then != null) then.run();
      return Effect().noReply();
    }
    Order after = order;
    for (int i = 0; i < events.size() - 1; i++) {
      after = after.apply(events.get(i));
      buffer.add(events.get(i));
    }
    Event last = events.get(events.size() - 1);
    after = after.apply(last);
    if (!order.status().isFinal() && after.status().isFinal()) finalizedInBuffer.add(order.clientOrderId());
    buffer(last, after, then);
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onFlush() {
    flushSent = false;
    return buffer.isEmpty() ? Effect().noReply() : write();
  }

  /** Sharding hands the desk off or the node stops: what is buffered is written (and answered) first. */
  private ReplyEffect<Event, State> onStop() {
    if (buffer.isEmpty()) return Effect().stop().thenNoReply();
    Write w = takeBuffer();
    return Effect().persist(w.events()).thenRun(state -> written(state, w)).thenStop().thenNoReply();
  }

  /** One write: its events, what to run once they are journaled, the orders it makes final. */
  private record Write(List<Event> events, List<Runnable> thens, Set<String> finalized) {}

  /** One atomic journal write for everything buffered, then the side effects, in order. */
  private ReplyEffect<Event, State> write() {
    Write w = takeBuffer();
    return Effect().persist(w.events()).thenRun(state -> written(state, w)).thenNoReply();
  }

  private Write takeBuffer() {
    Write w = new Write(new ArrayList<>(buffer), afterWrite.isEmpty() ? List.of() : new ArrayList<>(afterWrite),
        finalizedInBuffer.isEmpty() ? Set.of() : new HashSet<>(finalizedInBuffer));
    buffer.clear();
    afterWrite.clear();
    finalizedInBuffer.clear();
    projected.clear();
    newInBuffer = 0;
    return w;
  }

  private void written(State state, Write w) {
    List<Event> events = w.events();
    List<Venue.VenueOrder> toSend = null;
    Set<String> changed = new HashSet<>();
    List<String> changedInOrder = new ArrayList<>(events.size());
    for (Event e : events) {
      String id = e.clientOrderId();
      if (changed.add(id)) changedInOrder.add(id);
      if (e instanceof OrderAccepted a) {
        if (!synthetic) Metrics.ORDERS_ACCEPTED.withoutTags().increment();
        if (toSend == null) toSend = new ArrayList<>();
        toSend.add(new Venue.VenueOrder(id, a.spec()));
      } else if (e instanceof OrderAcknowledged ack) {
        Tracking t = tracking.get(id);
        Order o = state.find(id);
        if (t != null && t.timePlaceAck && o != null) {
          Metrics.ORDER_PLACE_ACK_DURATION.withoutTags().record(Duration.between(o.timestamps().received(), ack.acknowledgedAt()).toNanos());
        }
      }
    }
    claimed.clear();
    for (String id : changedInOrder) {
      Order order = state.find(id);
      if (order == null) continue;
      if (!synthetic) deps.index().written(order);
      afterChange(order, events, w.finalized().contains(id));
    }
    for (Runnable then : w.thens()) then.run();
    if (toSend != null) deps.batcherFor().apply(symbol).tell(new Batcher.SubmitBatch(toSend, submitReplies));
  }

  /** Side effects of a journaled change of one order: metrics, waiting callers, follow-up venue calls. */
  private void afterChange(Order order, List<Event> events, boolean becameFinal) {
    String id = order.clientOrderId();
    Tracking t = tracking.get(id);
    if (order.acknowledgedByVenue() || order.status().isFinal()) timers.cancel(new CheckVenue(id));
    if (order.status().isFinal()) {
      if (!synthetic && becameFinal) Metrics.ORDERS_FINAL.withTag("state", order.status().name()).increment();
      if (t == null) return;
      trackInDoubt(order, t);
      notifyWaiters(order, t);
      replyCancelWaiters(order, t);
      // corrections scan the write's events: only worth it when reconciliation waits for them
      if (!t.reconcileWaiters.isEmpty()) replyReconcileWaiters(t, new Reconciled(order, corrections(events, id)));
      tracking.remove(id);
      return;
    }
    if (t == null) return;
    trackInDoubt(order, t);
    notifyWaiters(order, t);
    if (t.cancelRequested && order.acknowledgedByVenue()) cancelAtVenue(order, t);
  }

  private void notifyWaiters(Order order, Tracking t) {
    for (Iterator<Waiter> it = t.waiters.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      boolean reached = switch (w.until()) {
        case ACCEPTED -> true;
        case ACKNOWLEDGED -> order.acknowledgedByVenue() || order.status().isFinal();
        case RESULT -> order.status().isFinal();
      };
      if (reached) {
        w.replyTo().tell(new Found(order));
        it.remove();
      }
    }
  }

  // ---- the venue's answers ----

  /** One message per venue batch; its answers join the write buffer together. */
  private ReplyEffect<Event, State> onSubmitOutcomes(State state, Batcher.Outcomes outcomes) {
    for (Venue.SubmitResult result : outcomes.results()) {
      Tracking t = tracking.get(result.clientOrderId());
      if (t != null && t.resubmitInFlight) {
        t.resubmitInFlight = false;
        t.sinceResubmitSettled = Duration.ZERO;
      }
      Order order = current(state, result.clientOrderId());
      if (order != null && !order.status().isFinal()) onSubmitResult(order, result, outcomes.sentAt());
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onSubmitResult(Order order, Venue.SubmitResult result, Instant sentAt) {
    if (result instanceof Venue.Acknowledged ack) return merge(order, ack.report(), sentAt);
    if (result instanceof Venue.Refused refused) {
      return bufferAll(order, List.of(new OrderRejected(order.clientOrderId(), order.strategy(), refused.reason(), "venue", deps.clock().instant())), null);
    }
    Venue.Unknown unknown = (Venue.Unknown) result;
    ctx.getLog().warn("event=order_submit_unknown desk={} clientOrderId={} error=\"{}\"", deskId, order.clientOrderId(), unknown.error());
    return inDoubt(order, "submit outcome unknown: " + unknown.error());
  }

  private ReplyEffect<Event, State> onVenueReport(State state, Venue.VenueOrderReport report) {
    Order order = current(state, report.clientOrderId());
    if (order == null && !synthetic) {
      // fills can trail a cancel at real venues; they are facts and are kept, even for an order the desk let go
      order = deps.index().find(report.clientOrderId()).filter(o -> o.symbol().equals(symbol)).orElse(null);
      if (order != null) return lateReport(order, report);
    }
    return order == null ? Effect().noReply() : merge(order, report, null);
  }

  /** A report for a final order this desk no longer holds: journaled, and the index updated once written. */
  private ReplyEffect<Event, State> lateReport(Order order, Venue.VenueOrderReport report) {
    List<Event> events = venueEvents(order, report, null);
    Order after = order;
    for (Event e : events) after = after.apply(e);
    Order indexed = after;
    return bufferAll(order, events, () -> deps.index().written(indexed));
  }

  /**
   * Folds the venue's view of the order into events: the ack if new, fills not seen yet (by
   * trade id), and a final state. Idempotent, so acks, pushed reports, cancel replies and
   * queries all go through here.
   */
  private ReplyEffect<Event, State> merge(Order order, Venue.VenueOrderReport report, Instant sentAt) {
    return bufferAll(order, venueEvents(order, report, sentAt), null);
  }

  private List<Event> venueEvents(Order order, Venue.VenueOrderReport report, Instant sentAt) {
    String id = order.clientOrderId();
    String strategy = order.strategy();
    Instant now = deps.clock().instant();
    // before the venue's order is adopted as ours: same terms, or it is another client's order under our id
    Venue.VenueTerms.Mismatch mismatch = order.acknowledgedByVenue() || report.terms() == null ? null : report.terms().mismatch(order.spec());
    if (mismatch != null) return conflict(order, report, mismatch, now);
    List<Event> events = new ArrayList<>(2);
    if (!order.acknowledgedByVenue() && report.status() != Venue.VenueStatus.REJECTED) {
      events.add(new OrderAcknowledged(id, strategy, report.venueOrderId(), sentAt, now));
    }
    BigDecimal executed = order.executedQty();
    for (Venue.Fill fill : report.fills()) {
      if (!order.hasFill(fill.tradeId())) {
        events.add(new OrderFilled(id, strategy, fill));
        executed = executed.add(fill.quantity());
      }
    }
    if (!order.status().isFinal() && executed.compareTo(order.quantity()) < 0) {
      Tracking t = tracking.get(id);
      switch (report.status()) {
        case CANCELED -> events.add(new OrderCanceled(id, strategy, t != null && t.cancelRequested ? "canceled by client" : "canceled by venue", now));
        case EXPIRED -> events.add(new OrderExpired(id, strategy, report.reason() != null ? report.reason() : "expired at venue", now));
        case REJECTED -> events.add(new OrderRejected(id, strategy, report.reason(), "venue", now));
        default -> { }
      }
    }
    return events;
  }

  /**
   * The venue answered for our clientOrderId with another order (another client of the account
   * used the id): nothing of it is taken. Ours was not created there (the venue holds the id), so
   * it ends rejected with the mismatch as its reason, where an operator and the reconciliation
   * report find it; a report for an order not ours carries no fill of ours.
   */
  private List<Event> conflict(Order order, Venue.VenueOrderReport report, Venue.VenueTerms.Mismatch mismatch, Instant now) {
    ctx.getLog().error("event=venue_order_conflict desk={} clientOrderId={} field={} ours=\"{}\" venue=\"{}\" venueOrderId={} venueStatus={}",
        deskId, order.clientOrderId(), mismatch.field(), mismatch.ours(), mismatch.venues(), report.venueOrderId(), report.status());
    Metrics.VENUE_ORDER_CONFLICTS.withTag("field", mismatch.field()).increment();
    ctx.getSystem().eventStream().tell(new EventStream.Publish<>(new Reconciler.VenueConflict(order.clientOrderId(), order.strategy(),
        order.symbol(), mismatch.field(), mismatch.ours(), mismatch.venues(), report.venueOrderId(), String.valueOf(report.status()), now)));
    if (order.status().isFinal()) return List.of();
    return List.of(new OrderRejected(order.clientOrderId(), order.strategy(),
        "the venue holds another order under this clientOrderId (" + mismatch + ", venue order " + report.venueOrderId() + "): not adopted",
        "venue", now));
  }

  // ---- cancels ----

  private ReplyEffect<Event, State> onCancel(State state, Cancel cancel) {
    Order order = current(state, cancel.clientOrderId());
    if (order == null) {
      Order gone = synthetic ? null : deps.index().find(cancel.clientOrderId()).filter(o -> o.symbol().equals(symbol)).orElse(null);
      return Effect().reply(cancel.replyTo(), gone != null ? new NotOpen(gone) : NotFound.INSTANCE);
    }
    if (order.status().isFinal()) return Effect().reply(cancel.replyTo(), new NotOpen(order));
    Tracking t = track(order.clientOrderId());
    t.cancelWaiters.add(cancel.replyTo());
    t.cancelRequested = true;
    // not acknowledged yet: the venue cancel follows the ack (afterChange); in doubt, ask the venue now
    if (order.acknowledgedByVenue()) cancelAtVenue(order, t);
    else if (order.status() == Order.Status.IN_DOUBT && !t.checkInFlight) checkVenue(order, t);
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onCancelOutcome(State state, CancelOutcome c) {
    Order order = current(state, c.clientOrderId());
    Tracking t = tracking.get(c.clientOrderId());
    if (t != null) t.cancelAtVenueInFlight = false;
    if (order == null || t == null) return Effect().noReply();
    if (c.result() instanceof Venue.Canceled canceled) return merge(order, canceled.report(), null);
    if (c.result() instanceof Venue.CancelRefused refused && refused.report() != null) {
      // refused while still open at the venue: nothing will finish it soon, so answer the callers now
      if (!refused.report().status().isFinal()) {
        ctx.getLog().info("event=order_cancel_not_done clientOrderId={} reason={}", order.clientOrderId(), refused.reason());
        replyCancelWaiters(order, t);
      }
      return merge(order, refused.report(), null);
    }
    String why = c.result() instanceof Venue.CancelRefused refused ? refused.reason() : ((Venue.CancelUnknown) c.result()).error();
    ctx.getLog().info("event=order_cancel_not_done clientOrderId={} reason={}", order.clientOrderId(), why);
    replyCancelWaiters(order, t);
    return Effect().noReply();
  }

  private void replyCancelWaiters(Order order, Tracking t) {
    Reply reply = order.status() == Order.Status.CANCELED ? new Found(order) : order.status().isFinal() ? new NotOpen(order) : new Found(order);
    for (ActorRef<Reply> w : t.cancelWaiters) w.tell(reply);
    t.cancelWaiters.clear();
  }

  private void cancelAtVenue(Order order, Tracking t) {
    if (t.cancelAtVenueInFlight) return;
    t.cancelAtVenueInFlight = true;
    String id = order.clientOrderId();
    ctx.pipeToSelf(deps.venue().cancel(symbol, id),
        (result, error) -> new CancelOutcome(id, error != null ? new Venue.CancelUnknown(String.valueOf(error)) : result));
  }

  // ---- in doubt, and reconciliation ----

  /** The venue may or may not have the order: say so in the journal once, then let the checker find out. */
  private ReplyEffect<Event, State> inDoubt(Order order, String reason) {
    String id = order.clientOrderId();
    Tracking t = track(id);
    t.lastDoubt = reason;
    // a lost acknowledged order resubmitted with an unknown outcome: reconciliation or the venue's reports settle it
    if (order.acknowledgedByVenue()) return Effect().noReply();
    if (order.status() == Order.Status.IN_DOUBT) {
      scheduleCheck(id);
      return Effect().noReply();
    }
    ctx.getLog().warn("event=order_in_doubt desk={} clientOrderId={} reason=\"{}\"", deskId, id, reason);
    return bufferAll(order, List.of(new OrderInDoubt(id, order.strategy(), reason, deps.clock().instant())), () -> scheduleCheck(id));
  }

  private void scheduleCheck(String id) {
    Tracking t = track(id);
    if (t.nextWait == null) t.nextWait = deps.inDoubt().checkInterval();
    CheckVenue check = new CheckVenue(id);
    timers.startSingleTimer(check, check, t.nextWait);
  }

  private ReplyEffect<Event, State> onCheckVenue(State state, CheckVenue c) {
    Order order = current(state, c.clientOrderId());
    if (order == null || order.status().isFinal()) return Effect().noReply();
    Tracking t = track(c.clientOrderId());
    if (t.checkInFlight || order.acknowledgedByVenue()) return Effect().noReply();
    Duration waited = t.nextWait == null ? deps.inDoubt().checkInterval() : t.nextWait;
    if (t.lastCheckFailed) t.unreachable = t.unreachable.plus(waited);
    if (t.sinceResubmitSettled != null) t.sinceResubmitSettled = t.sinceResubmitSettled.plus(waited);
    Duration doubled = waited.multipliedBy(2);
    t.nextWait = doubled.compareTo(deps.inDoubt().maxCheckInterval()) > 0 ? deps.inDoubt().maxCheckInterval() : doubled;
    // only an unreachable venue ends the doubt unsettled: one that answers is asked (and resubmitted to) until it settles
    if (t.lastCheckFailed && t.unreachable.compareTo(deps.inDoubt().giveUpAfter()) >= 0) return giveUp(order, t);
    t.checkSentAfterQuiet = t.sinceResubmitSettled != null && t.sinceResubmitSettled.compareTo(deps.inDoubt().resubmitQuiet()) >= 0;
    checkVenue(order, t);
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onReconcile(State state, Reconcile c) {
    Order order = current(state, c.clientOrderId());
    if (order == null) return Effect().reply(c.replyTo(), NotFound.INSTANCE);
    if (order.status().isFinal()) return Effect().reply(c.replyTo(), new Reconciled(order, List.of()));
    Tracking t = track(c.clientOrderId());
    t.reconcileWaiters.add(c.replyTo());
    if (!t.checkInFlight) checkVenue(order, t);
    return Effect().noReply();
  }

  /** Bounded: an order the venue will not tell us about is rejected, never checked forever. */
  private ReplyEffect<Event, State> giveUp(Order order, Tracking t) {
    String reason = "venue outcome unknown: the venue was unreachable for " + t.unreachable.toMillis() + " ms (" + t.checks + " checks): "
        + t.lastDoubt;
    ctx.getLog().warn("event=order_in_doubt_given_up desk={} clientOrderId={} checks={} unreachableMs={} reason=\"{}\"", deskId, order.clientOrderId(),
        t.checks, t.unreachable.toMillis(), reason);
    Metrics.ORDERS_IN_DOUBT_GIVEN_UP.withoutTags().increment();
    // should the venue have it after all, a cancel by clientOrderId takes it off the book (ignored once closed here)
    cancelAtVenue(order, t);
    return bufferAll(order, List.of(new OrderRejected(order.clientOrderId(), order.strategy(), reason, "executor", deps.clock().instant())), null);
  }

  private ReplyEffect<Event, State> onQueryOutcome(State state, QueryOutcome q) {
    String id = q.clientOrderId();
    Order order = current(state, id);
    Tracking t = tracking.get(id);
    if (order == null || t == null) return Effect().noReply();
    t.checkInFlight = false;
    if (order.status().isFinal()) {
      replyReconcileWaiters(t, new Reconciled(order, List.of()));
      return Effect().noReply();
    }
    boolean unacked = !order.acknowledgedByVenue();
    String outcome = q.error() != null ? "error" : q.known() ? "found" : "not_found";
    if (unacked) {
      ctx.getLog().info("event=order_in_doubt_check clientOrderId={} check={} outcome={} unreachableMs={} nextWaitMs={}", id, t.checks, outcome,
          t.unreachable.toMillis(), t.nextWait == null ? 0 : t.nextWait.toMillis());
    }
    t.lastCheckFailed = q.error() != null;
    if (q.error() == null) t.unreachable = Duration.ZERO;
    if (q.error() != null) {
      replyReconcileWaiters(t, new ReconcileFailed(q.error()));
      // an acknowledged order is only checked for reconciliation, which retries on its own
      return unacked ? inDoubt(order, "venue unreachable: " + q.error()) : Effect().noReply();
    }
    if (q.known()) {
      List<Event> events = venueEvents(order, q.report(), null);
      Order after = order;
      for (Event e : events) after = after.apply(e);
      Order reconciled = after;
      return bufferAll(order, events, () -> replyReconcileWaiters(t, new Reconciled(reconciled, corrections(events, id))));
    }
    if (unacked && t.cancelRequested) {
      // the client canceled and the venue does not have it: do not send it again
      return bufferAll(order, List.of(new OrderCanceled(id, order.strategy(), "canceled by client before the venue had it", deps.clock().instant())),
          () -> replyReconcileWaiters(t, new Reconciled(order, List.of("cancel"))));
    }
    if (unacked && t.resubmitted && (t.resubmitInFlight || !t.checkSentAfterQuiet)) {
      // a resubmit is on its way, or its outcome is too recent to be sure it will not land: ask again later.
      // Venues dedupe clientOrderIds only while orders are open (Binance), so a resubmit that landed and
      // filled unseen would be doubled by another one: the next goes only when a query sent resubmit-quiet
      // after the last one's outcome (past the venue's recvWindow, after which it refuses that request) still finds nothing
      replyReconcileWaiters(t, new Reconciled(order, List.of()));
      t.lastDoubt = "venue does not know the order, even after a resubmit";
      scheduleCheck(id);
      return Effect().noReply();
    }
    // unacknowledged: it never arrived (or the last resubmit met a fault); acknowledged: the venue lost it
    // (an in-process simulator that restarted)
    t.resubmitted = true;
    t.resubmitInFlight = true;
    t.sinceResubmitSettled = null;
    ctx.getLog().info("event=order_resubmitted clientOrderId={} quantity={} acknowledged={}", id, order.remainingQty(), !unacked);
    deps.batcherFor().apply(symbol).tell(new Batcher.SubmitBatch(List.of(new Venue.VenueOrder(id, order.spec().withQuantity(order.remainingQty()))),
        submitReplies));
    replyReconcileWaiters(t, new Reconciled(order, List.of("resubmit")));
    return Effect().noReply();
  }

  /** One venue query at a time per order; while unacknowledged each one counts toward giving up. */
  private void checkVenue(Order order, Tracking t) {
    t.checkInFlight = true;
    if (!order.acknowledgedByVenue()) t.checks++;
    String id = order.clientOrderId();
    ctx.pipeToSelf(deps.venueChecks().query(symbol, id), (found, error) -> error != null
        ? new QueryOutcome(id, null, false,
            String.valueOf(error instanceof CompletionException && error.getCause() != null ? error.getCause() : error))
        : new QueryOutcome(id, found.orElse(null), found.isPresent(), null));
  }

  /** What reconciliation counts: one correction per journaled venue fact. */
  static String correctionOf(Event e) {
    if (e instanceof OrderAcknowledged) return "ack";
    if (e instanceof OrderFilled) return "fill";
    if (e instanceof OrderCanceled) return "cancel";
    if (e instanceof OrderExpired) return "expire";
    if (e instanceof OrderRejected) return "reject";
    return "other";
  }

  private static List<String> corrections(List<Event> events, String id) {
    List<String> kinds = new ArrayList<>(1);
    for (Event e : events) if (e.clientOrderId().equals(id) && !(e instanceof OrderAccepted)) kinds.add(correctionOf(e));
    return kinds;
  }

  private void replyReconcileWaiters(Tracking t, Reply reply) {
    for (ActorRef<Reply> w : t.reconcileWaiters) w.tell(reply);
    t.reconcileWaiters.clear();
  }

  /** The spark_orders_in_doubt gauge follows this incarnation's view of its orders. */
  private void trackInDoubt(Order order, Tracking t) {
    boolean now = order.status() == Order.Status.IN_DOUBT;
    if (now == t.countedInDoubt) return;
    t.countedInDoubt = now;
    if (now) {
      countedInDoubt++;
      Metrics.ORDERS_IN_DOUBT.withoutTags().increment();
    } else {
      countedInDoubt--;
      Metrics.ORDERS_IN_DOUBT.withoutTags().decrement();
      ctx.getLog().info("event=order_in_doubt_settled clientOrderId={} status={} checks={}", order.clientOrderId(), order.status(), t.checks);
    }
  }

  private Tracking track(String id) {
    return tracking.computeIfAbsent(id, k -> new Tracking());
  }

}
