package io.sparkexec.order;

import io.sparkexec.http.Readiness;
import io.sparkexec.metrics.Metrics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The order room's front door, for HTTP and in-process callers alike: readiness, the guard
 * chain and the in-flight bound run here, before the symbol's desk is asked, so a refused order
 * leaves no trace but a metric and a log line. Answers are values, never exceptions. Reads of
 * one order go to the {@link OrderIndex} first: a final order is answered from it without a
 * message, an open one by its desk.
 */
public final class OrderService {

  private static final Logger log = LoggerFactory.getLogger(OrderService.class);
  // cancels in flight at once during a mass cancel: gentle on the venue, still quick for thousands
  private static final int MASS_CANCEL_PARALLELISM = 16;

  public record Settings(int maxInFlight, Duration responseTimeout, Duration askTimeout) {
    public static Settings fromConfig(com.typesafe.config.Config http) {
      return new Settings(http.getInt("max-in-flight-orders"), http.getDuration("order-response-timeout"), http.getDuration("ask-timeout"));
    }
  }

  public sealed interface PlaceOutcome {}

  /** Journaled. {@code waitedOut}: the order had not reached its respType when the wait ran out. */
  public record Placed(Order order, boolean waitedOut) implements PlaceOutcome {}

  public record Refused(Rejection rejection) implements PlaceOutcome {}

  /** {@code existing}: the order holding the clientOrderId, or null when the caller's scope may not see it. */
  public record Conflicting(Order existing) implements PlaceOutcome {}

  /** No answer in time: the caller retries with the same clientOrderId, which is safe. */
  public record OutcomeUnknown(String message) implements PlaceOutcome {}

  public sealed interface CancelOutcome {}

  /** Canceled, or still on its way to final (when {@code order.status()} is not final). */
  public record CancelAnswered(Order order) implements CancelOutcome {}

  public record NotOpen(Order order) implements CancelOutcome {}

  public enum CancelNotFound implements CancelOutcome {
    INSTANCE
  }

  public record CancelUnknown(String message) implements CancelOutcome {}

  /**
   * Hears every place call that reached the entity, with the arrival time given to it (a
   * {@link Placed} order whose {@code timestamps().received()} differs was placed earlier: a
   * repeat). Called on the completing thread: must be quick (the SLOs' place->ack latency).
   */
  public interface PlaceListener {
    void placed(OrderRequest request, Instant receivedAt, PlaceOutcome outcome);
  }

  /** A mass cancel: how many open orders matched, and each one's answer. */
  public record MassCanceled(int matched, List<CancelOutcome> outcomes) {}

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final OrderIndex index;
  private final Set<String> symbols;
  private final List<OrderGuard> guards;
  private final List<OrderGuard> syntheticGuards;
  private final Readiness readiness;
  private final Settings settings;
  private final Clock clock;
  private final Consumer<String> journalSuspect;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile PlaceListener placeListener = (request, receivedAt, outcome) -> {};

  /**
   * {@code syntheticGuards}: the chain for the executor's own orders (canary, warm-up), which
   * must not reserve risk nor count toward limits: their desks are not in the ledger's stream.
   */
  public OrderService(ActorSystem<?> system, OrderIndex index, Set<String> symbols, List<OrderGuard> guards, List<OrderGuard> syntheticGuards,
      Readiness readiness, Settings settings, Clock clock, Consumer<String> journalSuspect) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.index = index;
    this.symbols = Set.copyOf(symbols);
    this.guards = List.copyOf(guards);
    this.syntheticGuards = List.copyOf(syntheticGuards);
    this.readiness = readiness;
    this.settings = settings;
    this.clock = clock;
    this.journalSuspect = journalSuspect;
  }

  public void onPlaced(PlaceListener listener) {
    placeListener = listener;
  }

  public static String newClientOrderId() {
    return "x-" + UUID.randomUUID().toString().replace("-", "").substring(0, 30);
  }

  /** Logs and counts a request refused before it reached the service (e.g. a body that is not JSON). */
  public static Refused refuse(Rejection r, OrderRequest request) {
    Metrics.ORDERS_REJECTED_PRE_TRADE.withTag("code", r.code()).increment();
    log.info("event=order_refused code={} field={} clientOrderId={} symbol={}", r.code(), r.field(),
        request == null ? null : request.clientOrderId(), request == null ? null : request.symbol());
    return new Refused(r);
  }

  public CompletionStage<PlaceOutcome> place(OrderRequest request, Scope scope) {
    if (!scope.permits(request.strategy())) {
      return done(refuse(new Rejection(Rejection.Kind.FORBIDDEN, "STRATEGY_NOT_PERMITTED", "this API key may only trade strategies "
          + scope.strategies(), "strategy", Map.of("strategies", scope.strategies())), request));
    }
    // the warm-up's own orders must go through before the warm-up gate can pass
    if (scope.internal() ? !readiness.isReadyForWarmUp() : !readiness.isReady()) {
      return done(refuse(new Rejection(Rejection.Kind.UNAVAILABLE, "NOT_READY", "the executor is not ready for orders", null,
          Map.of("gates", readiness.gates())), request));
    }
    // the bound comes before the guards: an order refused for load must take nothing from them
    if (inFlight.incrementAndGet() > settings.maxInFlight()) {
      inFlight.decrementAndGet();
      return done(refuse(new Rejection(Rejection.Kind.TOO_MANY, "TOO_MANY_IN_FLIGHT", "too many orders in flight; retry shortly", null,
          Map.of("maxInFlight", settings.maxInFlight())), request));
    }
    List<OrderGuard> chain = scope.internal() ? syntheticGuards : guards;
    for (int i = 0; i < chain.size(); i++) {
      Rejection r = chain.get(i).check(request);
      if (r != null) {
        release(chain, i, request);
        inFlight.decrementAndGet();
        return done(refuse(r, request));
      }
    }
    Metrics.ORDERS_IN_FLIGHT.withoutTags().increment();
    // the executor's own orders go to the symbol's synthetic desk: same path, no trace in user data
    EntityRef<OrderDesk.Command> desk = desk(scope.internal() ? OrderDesk.SYNTHETIC_PREFIX + request.symbol() : request.symbol());
    Instant receivedAt = clock.instant();
    String id = request.clientOrderId();
    CompletionStage<PlaceOutcome> outcome = desk
        .<OrderDesk.Reply>ask(replyTo -> new OrderDesk.Place(request, receivedAt, replyTo), settings.responseTimeout())
        .<PlaceOutcome>thenApply(reply -> {
          if (reply instanceof OrderDesk.Found found) return new Placed(found.order(), false);
          if (reply instanceof OrderDesk.Conflict conflict) return new Conflicting(scope.permits(conflict.existing()) ? conflict.existing() : null);
          throw new IllegalStateException("unexpected reply to Place: " + reply);
        })
        .exceptionallyCompose(error -> afterTimeout(desk, id, error, Placed::new, OutcomeUnknown::new));
    return outcome.whenComplete((r, e) -> {
      inFlight.decrementAndGet();
      Metrics.ORDERS_IN_FLIGHT.withoutTags().decrement();
      // should an order the desk did not answer be journaled after all, the ledger counts it when it folds it
      if (!(r instanceof Placed p && receivedAt.equals(p.order().timestamps().received()))) release(chain, chain.size(), request);
      try {
        // internal callers (canary, warm-up) are synthetic: they must not move real orders' SLOs
        if (!scope.internal()) placeListener.placed(request, receivedAt, r != null ? r : new OutcomeUnknown(e.toString()));
      } catch (RuntimeException listenerError) {
        // a listener's bug must not turn an order's answer into an error
        log.error("event=place_listener_failed error=\"{}\"", listenerError.toString());
      }
    });
  }

  /** The first {@code passed} guards of the chain let the request through; it was not journaled by it. */
  private static void release(List<OrderGuard> chain, int passed, OrderRequest request) {
    for (int i = 0; i < passed; i++) chain.get(i).release(request);
  }

  /** Any order in the journal's history. Another strategy's order is not found for a scoped caller. */
  public CompletionStage<Optional<Order>> get(String clientOrderId, Scope scope) {
    Optional<Order> known = index.find(clientOrderId);
    if (known.isEmpty()) return done(Optional.empty());
    Order indexed = known.get();
    if (!scope.permits(indexed)) return done(Optional.empty());
    if (indexed.status().isFinal()) return done(known);
    return desk(indexed.symbol()).<OrderDesk.Reply>ask(replyTo -> new OrderDesk.Get(clientOrderId, replyTo), settings.askTimeout())
        // not held by its desk: claimed by a place whose write is still on its way (or failed)
        .thenApply(reply -> reply instanceof OrderDesk.Found found ? Optional.of(found.order()) : Optional.empty());
  }

  /** The strategy of any order in history, or null (unknown id, or no strategy): for readers that see only its later events. */
  public String strategyOf(String clientOrderId) {
    return index.find(clientOrderId).map(Order::strategy).orElse(null);
  }

  public CompletionStage<CancelOutcome> cancel(String clientOrderId, Scope scope) {
    Optional<Order> known = index.find(clientOrderId);
    if (known.isEmpty() || !scope.permits(known.get())) return done(CancelNotFound.INSTANCE);
    return cancel(known.get().symbol(), clientOrderId);
  }

  /** Cancels every open order matching symbol and strategy (null: any) within the scope, a few at a time. */
  public CompletionStage<MassCanceled> cancelOpen(String symbol, String strategy, Scope scope) {
    return openOrders(symbol, strategy, scope).thenCompose(open -> Source.from(open)
        .mapAsyncUnordered(MASS_CANCEL_PARALLELISM, o -> cancel(o.symbol(), o.clientOrderId()))
        .runWith(Sink.seq(), system)
        .thenApply(outcomes -> {
          log.info("event=orders_mass_canceled symbol={} strategy={} matched={}", symbol, strategy, open.size());
          return new MassCanceled(open.size(), outcomes);
        }));
  }

  private CompletionStage<CancelOutcome> cancel(String symbol, String clientOrderId) {
    EntityRef<OrderDesk.Command> desk = desk(symbol);
    return desk.<OrderDesk.Reply>ask(replyTo -> new OrderDesk.Cancel(clientOrderId, replyTo), settings.responseTimeout())
        .<CancelOutcome>thenApply(reply -> {
          if (reply instanceof OrderDesk.Found found) return new CancelAnswered(found.order());
          if (reply instanceof OrderDesk.NotOpen notOpen) return new NotOpen(notOpen.order());
          return CancelNotFound.INSTANCE;
        })
        .exceptionallyCompose(error -> afterTimeout(desk, clientOrderId, error, (order, waitedOut) ->
            order.status().isFinal() && order.status() != Order.Status.CANCELED ? new NotOpen(order) : new CancelAnswered(order),
            CancelUnknown::new));
  }

  /** Every open order of one symbol (null: every desk) and strategy (null: any) within the scope, oldest accepted first: for mass actions. */
  public CompletionStage<List<Order>> openOrders(String symbol, String strategy, Scope scope) {
    return openOrders(symbol, strategy, scope, null, Integer.MAX_VALUE).thenApply(OpenPage::orders);
  }

  /** A page of open orders and the cursor of the next one (null: this was the last). */
  public record OpenPage(List<Order> orders, Order.ListingKey next) {}

  /**
   * One page of the open orders after {@code after} (null: from the oldest), oldest accepted first:
   * each desk (every desk asked at once) answers its first {@code limit} of the scope's strategies,
   * from its per-strategy listing, and the page is the first {@code limit} of those. The scope
   * applies before paging, so a page costs O(desks x limit), whatever other strategies hold.
   */
  public CompletionStage<OpenPage> openOrders(String symbol, String strategy, Scope scope, Order.ListingKey after, int limit) {
    if (strategy != null && !scope.permits(strategy)) return done(new OpenPage(List.of(), null));
    Set<String> strategies = strategy != null ? Set.of(strategy) : scope.strategies();
    List<String> desks = symbol == null ? List.copyOf(symbols) : symbols.contains(symbol) ? List.of(symbol) : List.of();
    return Source.from(desks)
        .mapAsyncUnordered(Math.max(1, desks.size()), s -> desk(s).<OrderDesk.OpenOrders>ask(
            replyTo -> new OrderDesk.ListOpen(strategies, after, limit, replyTo), settings.askTimeout()))
        .runWith(Sink.seq(), system)
        .thenApply(listings -> {
          List<Order> merged = new ArrayList<>();
          boolean more = false;
          for (OrderDesk.OpenOrders l : listings) {
            merged.addAll(l.orders());
            more |= l.more();
          }
          merged.sort(Order.OLDEST_FIRST);
          if (merged.size() > limit) {
            merged.subList(limit, merged.size()).clear();
            more = true;
          }
          return new OpenPage(List.copyOf(merged), more && !merged.isEmpty() ? merged.get(merged.size() - 1).listingKey() : null);
        });
  }

  private interface Current<T> {
    T of(Order order, boolean waitedOut);
  }

  /**
   * The wait ran out: answer with the state the order has now. If even that does not come, the
   * journal may be failing: say the outcome is unknown and have the journal checked.
   */
  private <T> CompletionStage<T> afterTimeout(EntityRef<OrderDesk.Command> desk, String clientOrderId, Throwable error, Current<T> current,
      java.util.function.Function<String, T> unknown) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (!(cause instanceof TimeoutException)) return CompletableFuture.failedFuture(error);
    return desk.<OrderDesk.Reply>ask(replyTo -> new OrderDesk.Get(clientOrderId, replyTo), settings.askTimeout())
        .thenApply(reply -> {
          if (reply instanceof OrderDesk.Found found) return current.of(found.order(), true);
          // the desk answers but has nothing: its persist failed (it restarted) or is stuck
          journalSuspect.accept("order not journaled within the response timeout");
          return unknown.apply("the order was not journaled in time; retry with the same clientOrderId");
        })
        .exceptionally(e -> {
          journalSuspect.accept("order ask timed out twice");
          return unknown.apply("no answer in time; retry with the same clientOrderId");
        });
  }

  private EntityRef<OrderDesk.Command> desk(String deskId) {
    return sharding.entityRefFor(OrderDesk.ENTITY_KEY, deskId);
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }
}
