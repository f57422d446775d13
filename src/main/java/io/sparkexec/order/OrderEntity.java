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
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
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
 * not journaled: on every (re)start an order the venue has not acknowledged is submitted again
 * under the same clientOrderId, which venues dedupe. Finished orders passivate themselves.
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

  enum RetrySubmit implements Command {
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
      Clock clock,
      Duration resubmitBackoff,
      int maxSubmitAttempts) {}

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
  private boolean cancelRequested;
  private boolean cancelAtVenueInFlight;
  private int submitAttempts;
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
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::onRecovered).build();
  }

  /** A (re)started open order is driven on: submitted again if unacknowledged, else checked with the venue. */
  private void onRecovered(State state) {
    if (state instanceof Open open) {
      deps.openOrders().tell(new OpenOrders.Upsert(open.order()));
      if (open.order().acknowledgedByVenue()) queryVenue(open.order());
      else submit(open.order(), open.order().quantity());
    }
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> b = newCommandHandlerWithReplyBuilder();
    b.forStateType(Empty.class)
        .onCommand(Place.class, this::onPlace)
        .onCommand(Get.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(Cancel.class, (s, c) -> notFound(c.replyTo()))
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
        .onCommand(RetrySubmit.class, (s, c) -> retrySubmit(s.order()))
        .onCommand(Passivate.class, c -> Effect().stop().thenNoReply());
    b.forStateType(Closed.class)
        .onCommand(Place.class, (s, c) -> onPlaceAgain(s.order(), c))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), new Found(s.order())))
        .onCommand(Cancel.class, (s, c) -> Effect().reply(c.replyTo(), new NotOpen(s.order())))
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
    // not acknowledged yet: the venue cancel follows the ack (afterChange)
    if (state.order().acknowledgedByVenue()) cancelAtVenue(state.order());
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onSubmitOutcome(Open state, SubmitOutcome c) {
    Order order = state.order();
    Venue.SubmitResult result = c.outcome().result();
    if (result instanceof Venue.Acknowledged ack) return merge(order, ack.report(), c.outcome().sentAt());
    if (result instanceof Venue.Refused refused) {
      OrderRejected rejected = new OrderRejected(refused.reason(), "venue", deps.clock().instant());
      return Effect().persist(rejected).thenRun(next -> afterChange(false, orderOf(next), List.of(rejected))).thenNoReply();
    }
    Venue.Unknown unknown = (Venue.Unknown) result;
    ctx.getLog().warn("event=order_submit_unknown clientOrderId={} attempt={} error={}", clientOrderId, submitAttempts, unknown.error());
    return retryOrGiveUp(order, unknown.error());
  }

  private ReplyEffect<Event, State> retryOrGiveUp(Order order, String error) {
    if (submitAttempts >= deps.maxSubmitAttempts()) {
      OrderRejected rejected = new OrderRejected("venue outcome unknown after " + submitAttempts + " attempts: " + error, "executor",
          deps.clock().instant());
      return Effect().persist(rejected).thenRun(next -> afterChange(false, orderOf(next), List.of(rejected))).thenNoReply();
    }
    timers.startSingleTimer(RetrySubmit.INSTANCE, deps.resubmitBackoff().multipliedBy(Math.max(1, Math.min(submitAttempts, 10))));
    return Effect().noReply();
  }

  /** The outcome was unknown: ask the venue first, so a resubmit can never double the order. */
  private ReplyEffect<Event, State> retrySubmit(Order order) {
    queryVenue(order);
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onQueryOutcome(Open state, QueryOutcome q) {
    Order order = state.order();
    if (q.error() != null) {
      submitAttempts++; // a venue we cannot even ask counts toward giving up
      return retryOrGiveUp(order, q.error());
    }
    if (q.known()) return merge(order, q.report(), null);
    // the venue does not know it (never arrived, or an in-process simulator that restarted)
    submit(order, order.remainingQty());
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
    if (events.isEmpty()) return Effect().noReply();
    boolean wasFinal = order.status().isFinal();
    return Effect().persist(events).thenRun(next -> afterChange(wasFinal, orderOf(next), events)).thenNoReply();
  }

  /** Side effects of a journaled change: read side, metrics, waiting callers, follow-up venue calls. */
  private void afterChange(boolean wasFinal, Order order, List<Event> events) {
    deps.openOrders().tell(new OpenOrders.Upsert(order));
    for (Event e : events) {
      if (e instanceof OrderAcknowledged ack && timePlaceAck) {
        Metrics.ORDER_PLACE_ACK_DURATION.withoutTags().record(Duration.between(order.timestamps().received(), ack.acknowledgedAt()).toNanos());
      }
    }
    notifyWaiters(order);
    if (order.status().isFinal()) {
      if (!wasFinal) Metrics.ORDERS_FINAL.withTag("state", order.status().name()).increment();
      replyCancelWaiters(order);
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
        case ACKNOWLEDGED -> order.status() != Order.Status.ACCEPTED;
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
    submitAttempts++;
    Venue.VenueOrder vo = new Venue.VenueOrder(order.clientOrderId(), order.symbol(), order.side(), order.type(), order.timeInForce(),
        quantity, order.price());
    deps.batcherFor().apply(order.symbol()).tell(new Batcher.Submit(vo, submitReplies));
  }

  private void queryVenue(Order order) {
    ctx.pipeToSelf(deps.venue().query(order.symbol(), clientOrderId), (found, error) -> error != null
        ? new QueryOutcome(null, false, String.valueOf(error))
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
