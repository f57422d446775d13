package io.sparkexec.order;

import io.sparkexec.CborSerializable;
import io.sparkexec.batch.Batcher;
import io.sparkexec.metrics.Metrics;
import io.sparkexec.venue.MarketData;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import io.sparkexec.venue.Venue;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandlerBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One event-sourced entity per clientOrderId, addressed through Cluster Sharding. It journals
 * what must survive a crash and no more: accepted, acknowledged (with the fills and final state
 * that came with the ack, in one persistAll), later fills, and the final state. "Submitted" is
 * not journaled. A submit whose outcome is unknown journals {@link OrderInDoubt} (off the happy
 * path) and the in-doubt checker asks the venue by clientOrderId every check interval until it
 * knows: the answer is merged, "not found" earns one resubmit under the same clientOrderId
 * (venues dedupe), and after max checks the order is rejected. A (re)started unacknowledged
 * order is checked the same way; restart reconciliation asks each open order to check now
 * ({@link Reconcile}). Finished orders passivate themselves.
 */
public final class OrderEntity
    extends EventSourcedBehaviorWithEnforcedReplies<OrderEntity.Command, OrderEntity.Event, OrderEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Order");
  /** Every order event carries this tag: the global order event stream (WebSocket seq, start-up scan). */
  public static final String TAG = "order";

  // ---- protocol ----

  public sealed interface Command extends CborSerializable {}

  /** {@code synthetic}: the executor's own canary or warm-up order, kept out of the real orders' latency histogram. */
  public record Place(OrderRequest request, Instant receivedAt, boolean synthetic, ActorRef<Reply> replyTo) implements Command {
    public Place(OrderRequest request, Instant receivedAt, ActorRef<Reply> replyTo) {
      this(request, receivedAt, false, replyTo);
    }
  }

  public record Cancel(ActorRef<Reply> replyTo) implements Command {}

  public record Get(ActorRef<Reply> replyTo) implements Command {}

  /** An execution report the venue pushed on its own (fills of resting orders, venue-side cancels). */
  public record ApplyVenueReport(Venue.VenueOrderReport report) implements Command {}

  /** Sent by sharding to stop a passivated entity once its persists are done. */
  public enum Passivate implements Command {
    INSTANCE
  }

  record SubmitOutcome(Batcher.Outcome outcome) implements Command {}

  record CancelOutcome(Venue.CancelResult result) implements Command {}

  record QueryOutcome(Venue.VenueOrderReport report, boolean known, String error) implements Command {}

  /** Restart reconciliation: check the order with the venue now and answer what that corrected. */
  public record Reconcile(ActorRef<Reply> replyTo) implements Command {}

  /** The in-doubt checker's tick. */
  enum CheckVenue implements Command {
    INSTANCE
  }

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

  public sealed interface Event extends CborSerializable {}

  public record OrderAccepted(
      String clientOrderId,
      String symbol,
      Side side,
      OrderType type,
      TimeInForce timeInForce,
      BigDecimal quantity,
      BigDecimal price,
      String strategy,
      BigDecimal decisionPrice,
      Instant receivedAt,
      Instant acceptedAt)
      implements Event {}

  /** A submit's outcome is unknown: journaled so the doubt shows and survives a restart. Never on the happy path. */
  public record OrderInDoubt(String reason, Instant at) implements Event {}

  public record OrderAcknowledged(String venueOrderId, Instant sentAt, Instant acknowledgedAt) implements Event {}

  public record OrderFilled(Venue.Fill fill) implements Event {}

  public record OrderCanceled(String reason, Instant at) implements Event {}

  public record OrderRejected(String reason, String rejectedBy, Instant at) implements Event {}

  public record OrderExpired(String reason, Instant at) implements Event {}

  public sealed interface State extends CborSerializable {}

  public enum Empty implements State {
    INSTANCE
  }

  public record Open(Order order) implements State {}

  public record Closed(Order order) implements State {}

  /** What an order needs from the rooms below it and from the node. */
  public record Deps(
      MarketData marketData,
      Function<String, ActorRef<Batcher.Command>> batcherFor,
      Venue venue,
      ActorRef<OpenOrders.Command> openOrders,
      VenueChecks venueChecks,
      Clock clock,
      InDoubt inDoubt) {}

  /** The in-doubt checker: how often it asks the venue, and after how many checks it gives up. */
  public record InDoubt(Duration checkInterval, int maxChecks) {
    public static InDoubt fromConfig(com.typesafe.config.Config inDoubt) {
      return new InDoubt(inDoubt.getDuration("check-interval"), inDoubt.getInt("max-checks"));
    }
  }

  public static Behavior<Command> create(String clientOrderId, Deps deps, ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new OrderEntity(clientOrderId, deps, shard, ctx, timers)));
  }

  // ---- entity ----

  private record Waiter(OrderRequest.RespType until, ActorRef<Reply> replyTo) {}

  private final String clientOrderId;
  private final Deps deps;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final ActorRef<Batcher.Outcome> submitReplies;
  // transient: who waits for what; lost on restart, where the HTTP side answers 202
  private final List<Waiter> waiters = new ArrayList<>(1);
  private final List<ActorRef<Reply>> cancelWaiters = new ArrayList<>(0);
  private final List<ActorRef<Reply>> reconcileWaiters = new ArrayList<>(0);
  private boolean cancelRequested;
  private boolean cancelAtVenueInFlight;
  // the in-doubt checker, per incarnation: a restart starts counting again
  private int checks;
  private boolean checkInFlight;
  private boolean resubmitted;
  private String lastDoubt;
  private boolean countedInDoubt;
  // place->ack is measured only for a real order this incarnation took: restarts and synthetic orders do not count
  private boolean timePlaceAck;

  private OrderEntity(String clientOrderId, Deps deps, ActorRef<ClusterSharding.ShardCommand> shard, ActorContext<Command> ctx,
      TimerScheduler<Command> timers) {
    super(PersistenceId.of(ENTITY_KEY.name(), clientOrderId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    this.clientOrderId = clientOrderId;
    this.deps = deps;
    this.shard = shard;
    this.ctx = ctx;
    this.timers = timers;
    this.submitReplies = ctx.messageAdapter(Batcher.Outcome.class, SubmitOutcome::new);
  }

  @Override
  public State emptyState() {
    return Empty.INSTANCE;
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(TAG);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecovered)
        // a stopped or restarted incarnation no longer counts; the next one counts again when it recovers
        .onSignal(PostStop.instance(), state -> uncountInDoubt())
        .onSignal(PreRestart.instance(), state -> uncountInDoubt())
        .build();
  }

  private void uncountInDoubt() {
    if (countedInDoubt) Metrics.ORDERS_IN_DOUBT.withoutTags().decrement();
    countedInDoubt = false;
  }

  /**
   * A (re)started unacknowledged order does not know whether its submit reached the venue: the
   * checker asks after one interval (reconciliation may ask sooner). An acknowledged one waits
   * for reconciliation or the venue's reports.
   */
  private void onRecovered(State state) {
    if (state instanceof Open open) {
      Order order = open.order();
      deps.openOrders().tell(new OpenOrders.Upsert(order));
      trackInDoubt(order);
      if (!order.acknowledgedByVenue()) {
        lastDoubt = order.status() == Order.Status.IN_DOUBT ? order.reason() : "restarted before the venue answered";
        timers.startSingleTimer(CheckVenue.INSTANCE, deps.inDoubt().checkInterval());
      }
    }
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> b = newCommandHandlerWithReplyBuilder();
    b.forStateType(Empty.class)
        .onCommand(Place.class, this::onPlace)
        .onCommand(Get.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(Cancel.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(Reconcile.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(Passivate.class, c -> Effect().stop().thenNoReply())
        .onAnyCommand((s, c) -> passivateWhenIdle());
    b.forStateType(Open.class)
        .onCommand(Place.class, (s, c) -> onPlaceAgain(s.order(), c))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), new Found(s.order())))
        .onCommand(Cancel.class, this::onCancel)
        .onCommand(ApplyVenueReport.class, (s, c) -> merge(s.order(), c.report(), null))
        .onCommand(SubmitOutcome.class, this::onSubmitOutcome)
        .onCommand(CancelOutcome.class, this::onCancelOutcome)
        .onCommand(QueryOutcome.class, this::onQueryOutcome)
        .onCommand(CheckVenue.class, (s, c) -> onCheckVenue(s.order()))
        .onCommand(Reconcile.class, this::onReconcile)
        .onCommand(Passivate.class, c -> Effect().stop().thenNoReply());
    b.forStateType(Closed.class)
        .onCommand(Place.class, (s, c) -> onPlaceAgain(s.order(), c))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), new Found(s.order())))
        .onCommand(Cancel.class, (s, c) -> Effect().reply(c.replyTo(), new NotOpen(s.order())))
        .onCommand(Reconcile.class, (s, c) -> Effect().reply(c.replyTo(), new Reconciled(s.order(), List.of())))
        // fills can trail a cancel at real venues; they are facts and are kept
        .onCommand(ApplyVenueReport.class, (s, c) -> merge(s.order(), c.report(), null))
        .onCommand(Passivate.class, c -> Effect().stop().thenNoReply())
        .onAnyCommand(c -> Effect().noReply());
    return b.build();
  }

  private ReplyEffect<Event, State> notFound(ActorRef<Reply> replyTo) {
    passivate();
    return Effect().reply(replyTo, NotFound.INSTANCE);
  }

  private ReplyEffect<Event, State> passivateWhenIdle() {
    passivate();
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onPlace(Empty state, Place place) {
    OrderRequest r = place.request();
    MarketData.Quote quote = deps.marketData().quote(r.symbol());
    OrderAccepted accepted = new OrderAccepted(clientOrderId, r.symbol(), r.side(), r.type(), r.timeInForce(), r.quantity(), r.price(),
        r.strategy(), quote == null ? null : quote.touch(r.side()), place.receivedAt(), deps.clock().instant());
    return Effect().persist(accepted).thenRun(next -> {
      Order order = orderOf(next);
      Metrics.ORDERS_ACCEPTED.withoutTags().increment();
      waiters.add(new Waiter(r.respType(), place.replyTo()));
      timePlaceAck = !place.synthetic();
      afterChange(false, order, List.of(accepted));
      submit(order, order.quantity());
    }).thenNoReply();
  }

  private ReplyEffect<Event, State> onPlaceAgain(Order order, Place place) {
    if (!place.request().sameOrderAs(order.asRequest())) return Effect().reply(place.replyTo(), new Conflict(order));
    waiters.add(new Waiter(place.request().respType(), place.replyTo()));
    notifyWaiters(order);
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onCancel(Open state, Cancel cancel) {
    cancelWaiters.add(cancel.replyTo());
    cancelRequested = true;
    // not acknowledged yet: the venue cancel follows the ack (afterChange); in doubt, ask the venue now
    if (state.order().acknowledgedByVenue()) cancelAtVenue(state.order());
    else if (state.order().status() == Order.Status.IN_DOUBT && !checkInFlight) checkVenue(state.order());
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onSubmitOutcome(Open state, SubmitOutcome c) {
    Order order = state.order();
    Venue.SubmitResult result = c.outcome().result();
    if (result instanceof Venue.Acknowledged ack) return merge(order, ack.report(), c.outcome().sentAt());
    if (result instanceof Venue.Refused refused) {
      return persistChange(order, List.of(new OrderRejected(refused.reason(), "venue", deps.clock().instant())), () -> { });
    }
    Venue.Unknown unknown = (Venue.Unknown) result;
    ctx.getLog().warn("event=order_submit_unknown clientOrderId={} error=\"{}\"", clientOrderId, unknown.error());
    return inDoubt(order, "submit outcome unknown: " + unknown.error());
  }

  /** The venue may or may not have the order: say so in the journal once, then let the checker find out. */
  private ReplyEffect<Event, State> inDoubt(Order order, String reason) {
    lastDoubt = reason;
    // a lost acknowledged order resubmitted with an unknown outcome: reconciliation or the venue's reports settle it
    if (order.acknowledgedByVenue()) return Effect().noReply();
    if (order.status() == Order.Status.IN_DOUBT) {
      scheduleCheck();
      return Effect().noReply();
    }
    ctx.getLog().warn("event=order_in_doubt clientOrderId={} reason=\"{}\"", clientOrderId, reason);
    return persistChange(order, List.of(new OrderInDoubt(reason, deps.clock().instant())), this::scheduleCheck);
  }

  private void scheduleCheck() {
    timers.startSingleTimer(CheckVenue.INSTANCE, deps.inDoubt().checkInterval());
  }

  private ReplyEffect<Event, State> onCheckVenue(Order order) {
    if (checkInFlight || order.acknowledgedByVenue()) return Effect().noReply();
    if (checks >= deps.inDoubt().maxChecks()) return giveUp(order);
    checkVenue(order);
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onReconcile(Open state, Reconcile c) {
    reconcileWaiters.add(c.replyTo());
    if (!checkInFlight) checkVenue(state.order());
    return Effect().noReply();
  }

  /** Bounded: an order the venue will not tell us about is rejected, never checked forever. */
  private ReplyEffect<Event, State> giveUp(Order order) {
    String reason = "venue outcome unknown after " + checks + " checks: " + lastDoubt;
    ctx.getLog().warn("event=order_in_doubt_given_up clientOrderId={} checks={} reason=\"{}\"", clientOrderId, checks, reason);
    Metrics.ORDERS_IN_DOUBT_GIVEN_UP.withoutTags().increment();
    // should the venue have it after all, a cancel by clientOrderId takes it off the book (ignored once closed here)
    cancelAtVenue(order);
    return persistChange(order, List.of(new OrderRejected(reason, "executor", deps.clock().instant())), () -> { });
  }

  private ReplyEffect<Event, State> onQueryOutcome(Open state, QueryOutcome q) {
    checkInFlight = false;
    Order order = state.order();
    boolean unacked = !order.acknowledgedByVenue();
    String outcome = q.error() != null ? "error" : q.known() ? "found" : "not_found";
    if (unacked) {
      ctx.getLog().info("event=order_in_doubt_check clientOrderId={} check={} maxChecks={} outcome={}", clientOrderId, checks,
          deps.inDoubt().maxChecks(), outcome);
    }
    if (q.error() != null) {
      replyReconcileWaiters(new ReconcileFailed(q.error()));
      // an acknowledged order is only checked for reconciliation, which retries on its own
      return unacked ? inDoubt(order, "venue unreachable: " + q.error()) : Effect().noReply();
    }
    if (q.known()) {
      List<Event> events = venueEvents(order, q.report(), null);
      return persistChange(order, events, () -> replyReconcileWaiters(new Reconciled(orderAfter(order, events), corrections(events))));
    }
    if (unacked && cancelRequested) {
      // the client canceled and the venue does not have it: do not send it again
      return persistChange(order, List.of(new OrderCanceled("canceled by client before the venue had it", deps.clock().instant())),
          () -> replyReconcileWaiters(new Reconciled(order, List.of("cancel"))));
    }
    if (unacked && resubmitted) {
      // resubmitted once already: keep asking (the resubmit may still be on its way) until the checks run out.
      // Never a second resubmit: venues dedupe clientOrderIds only while orders are open (Binance), so a
      // resubmit that landed and filled unseen would be doubled by another one

      replyReconcileWaiters(new Reconciled(order, List.of()));
      lastDoubt = "venue does not know the order, even after a resubmit";
      scheduleCheck();
      return Effect().noReply();
    }
    // unacknowledged: it never arrived; acknowledged: the venue lost it (an in-process simulator that restarted)
    resubmitted = true;
    ctx.getLog().info("event=order_resubmitted clientOrderId={} quantity={} acknowledged={}", clientOrderId, order.remainingQty(), !unacked);
    submit(order, order.remainingQty());
    replyReconcileWaiters(new Reconciled(order, List.of("resubmit")));
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onCancelOutcome(Open state, CancelOutcome c) {
    cancelAtVenueInFlight = false;
    Order order = state.order();
    if (c.result() instanceof Venue.Canceled canceled) return merge(order, canceled.report(), null);
    if (c.result() instanceof Venue.CancelRefused refused && refused.report() != null) {
      // refused while still open at the venue: nothing will finish it soon, so answer the callers now
      if (!refused.report().status().isFinal()) {
        ctx.getLog().info("event=order_cancel_not_done clientOrderId={} reason={}", clientOrderId, refused.reason());
        replyCancelWaiters(order);
      }
      return merge(order, refused.report(), null);
    }
    String why = c.result() instanceof Venue.CancelRefused refused ? refused.reason() : ((Venue.CancelUnknown) c.result()).error();
    ctx.getLog().info("event=order_cancel_not_done clientOrderId={} reason={}", clientOrderId, why);
    replyCancelWaiters(order);
    return Effect().noReply();
  }

  /**
   * Folds the venue's view of the order into events: the ack if new, fills not seen yet (by
   * trade id), and a final state. Idempotent, so acks, pushed reports, cancel replies and
   * queries all go through here.
   */
  private ReplyEffect<Event, State> merge(Order order, Venue.VenueOrderReport report, Instant sentAt) {
    return persistChange(order, venueEvents(order, report, sentAt), () -> { });
  }

  private List<Event> venueEvents(Order order, Venue.VenueOrderReport report, Instant sentAt) {
    Instant now = deps.clock().instant();
    List<Event> events = new ArrayList<>(2);
    if (!order.acknowledgedByVenue() && report.status() != Venue.VenueStatus.REJECTED) {
      events.add(new OrderAcknowledged(report.venueOrderId(), sentAt, now));
    }
    BigDecimal executed = order.executedQty();
    for (Venue.Fill fill : report.fills()) {
      if (!order.hasFill(fill.tradeId())) {
        events.add(new OrderFilled(fill));
        executed = executed.add(fill.quantity());
      }
    }
    if (!order.status().isFinal() && executed.compareTo(order.quantity()) < 0) {
      switch (report.status()) {
        case CANCELED -> events.add(new OrderCanceled(cancelRequested ? "canceled by client" : "canceled by venue", now));
        case EXPIRED -> events.add(new OrderExpired(report.reason() != null ? report.reason() : "expired at venue", now));
        case REJECTED -> events.add(new OrderRejected(report.reason(), "venue", now));
        default -> { }
      }
    }
    return events;
  }

  /** Journals the events (one atomic write), then runs the side effects and {@code then}. */
  private ReplyEffect<Event, State> persistChange(Order order, List<Event> events, Runnable then) {
    if (events.isEmpty()) {
      then.run();
      return Effect().noReply();
    }
    boolean wasFinal = order.status().isFinal();
    return Effect().persist(events).thenRun(next -> {
      afterChange(wasFinal, orderOf(next), events);
      then.run();
    }).thenNoReply();
  }

  private static Order orderAfter(Order order, List<Event> events) {
    for (Event e : events) order = order.apply(e);
    return order;
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

  private static List<String> corrections(List<Event> events) {
    return events.stream().map(OrderEntity::correctionOf).toList();
  }

  private void replyReconcileWaiters(Reply reply) {
    for (ActorRef<Reply> w : reconcileWaiters) w.tell(reply);
    reconcileWaiters.clear();
  }

  /** The spark_orders_in_doubt gauge follows this incarnation's view of the order. */
  private void trackInDoubt(Order order) {
    boolean now = order.status() == Order.Status.IN_DOUBT;
    if (now == countedInDoubt) return;
    countedInDoubt = now;
    if (now) {
      Metrics.ORDERS_IN_DOUBT.withoutTags().increment();
    } else {
      Metrics.ORDERS_IN_DOUBT.withoutTags().decrement();
      ctx.getLog().info("event=order_in_doubt_settled clientOrderId={} status={} checks={}", clientOrderId, order.status(), checks);
    }
  }

  /** Side effects of a journaled change: read side, metrics, waiting callers, follow-up venue calls. */
  private void afterChange(boolean wasFinal, Order order, List<Event> events) {
    deps.openOrders().tell(new OpenOrders.Upsert(order));
    trackInDoubt(order);
    if (order.acknowledgedByVenue() || order.status().isFinal()) timers.cancel(CheckVenue.INSTANCE);
    for (Event e : events) {
      if (e instanceof OrderAcknowledged ack && timePlaceAck) {
        Metrics.ORDER_PLACE_ACK_DURATION.withoutTags().record(Duration.between(order.timestamps().received(), ack.acknowledgedAt()).toNanos());
      }
    }
    notifyWaiters(order);
    if (order.status().isFinal()) {
      if (!wasFinal) Metrics.ORDERS_FINAL.withTag("state", order.status().name()).increment();
      replyCancelWaiters(order);
      replyReconcileWaiters(new Reconciled(order, corrections(events)));
      passivate();
    } else if (cancelRequested && order.acknowledgedByVenue()) {
      cancelAtVenue(order);
    }
  }

  private void notifyWaiters(Order order) {
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
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

  private void replyCancelWaiters(Order order) {
    Reply reply = order.status() == Order.Status.CANCELED ? new Found(order) : order.status().isFinal() ? new NotOpen(order) : new Found(order);
    for (ActorRef<Reply> w : cancelWaiters) w.tell(reply);
    cancelWaiters.clear();
  }

  private void submit(Order order, BigDecimal quantity) {
    Venue.VenueOrder vo = new Venue.VenueOrder(order.clientOrderId(), order.symbol(), order.side(), order.type(), order.timeInForce(),
        quantity, order.price());
    deps.batcherFor().apply(order.symbol()).tell(new Batcher.Submit(vo, submitReplies));
  }

  /** One venue query at a time per order; while unacknowledged each one counts toward giving up. */
  private void checkVenue(Order order) {
    checkInFlight = true;
    if (!order.acknowledgedByVenue()) checks++;
    ctx.pipeToSelf(deps.venueChecks().query(order.symbol(), clientOrderId), (found, error) -> error != null
        ? new QueryOutcome(null, false, String.valueOf(error instanceof CompletionException && error.getCause() != null ? error.getCause() : error))
        : new QueryOutcome(found.orElse(null), found.isPresent(), null));
  }

  private void cancelAtVenue(Order order) {
    if (cancelAtVenueInFlight) return;
    cancelAtVenueInFlight = true;
    ctx.pipeToSelf(deps.venue().cancel(order.symbol(), clientOrderId),
        (result, error) -> new CancelOutcome(error != null ? new Venue.CancelUnknown(String.valueOf(error)) : result));
  }

  private void passivate() {
    shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
  }

  private static Order orderOf(State state) {
    if (state instanceof Open open) return open.order();
    if (state instanceof Closed closed) return closed.order();
    throw new IllegalStateException("no order in " + state);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    EventHandlerBuilder<State, Event> b = newEventHandlerBuilder();
    b.forStateType(Empty.class).onEvent(OrderAccepted.class, (s, e) -> new Open(Order.accepted(e)));
    b.forStateType(Open.class).onEvent(Event.class, (s, e) -> wrap(s.order().apply(e)));
    b.forStateType(Closed.class).onEvent(Event.class, (s, e) -> new Closed(s.order().apply(e)));
    return b.build();
  }

  private static State wrap(Order order) {
    return order.status().isFinal() ? new Closed(order) : new Open(order);
  }
}
