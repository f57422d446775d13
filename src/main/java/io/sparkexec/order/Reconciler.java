package io.sparkexec.order;

import io.sparkexec.metrics.Metrics;
import io.sparkexec.venue.Venue;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Restart reconciliation, the "reconciliation" readiness gate. After the desks recovered every
 * order that was open is asked to check itself with the venue ({@link OrderDesk.Reconcile}, a
 * bounded number at a time), so missing acks, fills and cancels get journaled by the order's desk.
 * Then the venue's open orders that the executor does not hold open are reported as external:
 * logged, counted and listed, never adopted. While the venue cannot be asked the gate stays
 * failed with the reason and the pass is retried with backoff; a retry checks only the orders
 * whose check failed. Venue answers that conflict with our orders (another client's order under
 * our clientOrderId, seen by any desk at any time) are listed too, newest first, the last
 * {@code maxConflicts} of them; each order keeps its reason in the journal.
 */
public final class Reconciler {

  public sealed interface Command {}

  /** The desks recovered: these orders were open (clientOrderId -> symbol). */
  public record Start(Map<String, String> openOrders) implements Command {}

  public record GetReport(ActorRef<Report> replyTo) implements Command {}

  private record PassFinished(Pass pass) implements Command {}

  private enum Retry implements Command {
    INSTANCE
  }

  /**
   * A desk met a venue answer for one of our clientOrderIds with other terms (published on the
   * system's event stream, so any desk reaches the one reconciler without knowing it).
   */
  public record VenueConflict(String clientOrderId, String strategy, String symbol, String field, String ours, String venues,
      String venueOrderId, String venueStatus, Instant at) implements Command {}

  /** A venue open order the executor does not hold open; executorStatus is null when the executor never had it. */
  public record ExternalOrder(String clientOrderId, String venueOrderId, String symbol, String venueStatus, String executorStatus) {}

  /** What GET /api/private/reconciliation shows. status: waiting (for the scan), running, retrying, passed. */
  public record Report(String status, Instant lastRunAt, Instant finishedAt, int attempts, int checked, int pending,
      Map<String, Long> corrections, List<ExternalOrder> externalOrders, long conflictsTotal, List<VenueConflict> conflicts,
      String error) {}

  /** Told when the gate passes or fails (wired to readiness). */
  public interface Listener {
    void passed(String detail);

    void failed(String reason);
  }

  public record Settings(int parallelism, Duration retryMin, Duration retryMax, Duration askTimeout, int maxConflicts) {
    public static Settings fromConfig(com.typesafe.config.Config reconciliation, int parallelism, Duration askTimeout) {
      return new Settings(parallelism, reconciliation.getDuration("retry-min"), reconciliation.getDuration("retry-max"), askTimeout,
          reconciliation.getInt("max-conflicts"));
    }
  }

  /** One pass: what it checked and corrected, which checks failed, the external orders if it got that far. */
  private record Pass(int checked, List<String> failedIds, List<String> corrections, List<ExternalOrder> external, String error) {}

  /** {@code orders}: where an order the venue holds is looked up (any order in history). */
  public static Behavior<Command> create(Settings settings, Venue venue, OrderService orders, Listener listener, Clock clock) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().eventStream().tell(new EventStream.Subscribe<>(VenueConflict.class, ctx.getSelf().narrow()));
      return new Reconciler(ctx, settings, venue, orders, listener, clock).waiting();
    });
  }

  private final ActorContext<Command> ctx;
  private final Settings settings;
  private final Venue venue;
  private final OrderService orders;
  private final Listener listener;
  private final Clock clock;
  private final ClusterSharding sharding;
  private final ActorSystem<?> system;
  private final Map<String, Long> corrections = new TreeMap<>();
  private final ArrayDeque<VenueConflict> conflicts = new ArrayDeque<>();
  private long conflictsTotal;
  private Map<String, String> knownOpen = Map.of();
  private List<String> pending = List.of();
  private List<ExternalOrder> external = List.of();
  private String status = "waiting";
  private Instant lastRunAt;
  private Instant finishedAt;
  private int attempts;
  private int checked;
  private String error;

  private Reconciler(ActorContext<Command> ctx, Settings settings, Venue venue, OrderService orders, Listener listener, Clock clock) {
    this.ctx = ctx;
    this.settings = settings;
    this.venue = venue;
    this.orders = orders;
    this.listener = listener;
    this.clock = clock;
    this.sharding = ClusterSharding.get(ctx.getSystem());
    this.system = ctx.getSystem();
  }

  private Behavior<Command> waiting() {
    return Behaviors.receive(Command.class)
        .onMessage(Start.class, this::onStart)
        .onMessage(GetReport.class, this::onGetReport)
        .onMessage(PassFinished.class, this::onPassFinished)
        .onMessage(VenueConflict.class, this::onVenueConflict)
        .onMessage(Retry.class, r -> {
          run();
          return Behaviors.same();
        })
        .build();
  }

  private Behavior<Command> onStart(Start start) {
    knownOpen = Map.copyOf(start.openOrders());
    pending = List.copyOf(new TreeSet<>(start.openOrders().keySet()));
    ctx.getLog().info("event=reconciliation_started openOrders={} parallelism={}", pending.size(), settings.parallelism());
    run();
    return Behaviors.same();
  }

  private Behavior<Command> onGetReport(GetReport get) {
    get.replyTo().tell(new Report(status, lastRunAt, finishedAt, attempts, checked, pending.size(),
        Collections.unmodifiableMap(new TreeMap<>(corrections)), external, conflictsTotal, List.copyOf(conflicts), error));
    return Behaviors.same();
  }

  private Behavior<Command> onVenueConflict(VenueConflict conflict) {
    conflictsTotal++;
    conflicts.addFirst(conflict);
    if (conflicts.size() > settings.maxConflicts()) conflicts.removeLast();
    return Behaviors.same();
  }

  private void run() {
    attempts++;
    lastRunAt = clock.instant();
    status = "running";
    ctx.pipeToSelf(pass(pending), (pass, failure) ->
        new PassFinished(failure == null ? pass : new Pass(0, pending, List.of(), List.of(), String.valueOf(failure))));
  }

  private Behavior<Command> onPassFinished(PassFinished done) {
    Pass pass = done.pass();
    checked += pass.checked();
    for (String kind : pass.corrections()) {
      corrections.merge(kind, 1L, Long::sum);
      Metrics.RECONCILIATION_CORRECTIONS.withTag("kind", kind).increment();
    }
    pending = pass.failedIds();
    if (pass.error() != null) {
      error = pass.error();
      status = "retrying";
      Duration retryIn = backoff();
      ctx.getLog().warn("event=reconciliation_failed attempt={} pending={} retryInMs={} error=\"{}\"", attempts, pending.size(),
          retryIn.toMillis(), error);
      listener.failed("venue unreachable, reconciliation retrying in " + retryIn.toMillis() + " ms (attempt " + attempts + "): " + error);
      ctx.scheduleOnce(retryIn, ctx.getSelf(), Retry.INSTANCE);
      return Behaviors.same();
    }
    error = null;
    status = "passed";
    finishedAt = clock.instant();
    external = pass.external();
    Metrics.RECONCILIATION_EXTERNAL_ORDERS.withoutTags().update(external.size());
    for (ExternalOrder e : external) {
      ctx.getLog().warn("event=reconciliation_external_order clientOrderId={} venueOrderId={} symbol={} venueStatus={} executorStatus={}",
          e.clientOrderId(), e.venueOrderId(), e.symbol(), e.venueStatus(), e.executorStatus());
    }
    ctx.getLog().info("event=reconciliation_done checked={} corrections={} externalOrders={} attempts={} tookMs={}", checked, corrections,
        external.size(), attempts, Duration.between(lastRunAt, finishedAt).toMillis());
    listener.passed("reconciled " + checked + " open orders with the venue: corrections " + corrections + ", " + external.size()
        + " external orders");
    return Behaviors.same();
  }

  private Duration backoff() {
    Duration d = settings.retryMin().multipliedBy(1L << Math.min(attempts - 1, 20));
    return d.compareTo(settings.retryMax()) > 0 ? settings.retryMax() : d;
  }

  private record Checked(String id, List<String> corrections, String error) {}

  /** Off the actor: checks the given orders, a bounded number at a time, then looks for external orders. */
  private CompletionStage<Pass> pass(List<String> ids) {
    Map<String, String> known = knownOpen;
    return Source.from(ids)
        .mapAsyncUnordered(settings.parallelism(), id -> sharding.entityRefFor(OrderDesk.ENTITY_KEY, known.get(id))
            .<OrderDesk.Reply>ask(replyTo -> new OrderDesk.Reconcile(id, replyTo), settings.askTimeout())
            .handle((reply, failure) -> {
              if (reply instanceof OrderDesk.Reconciled r) return new Checked(id, r.corrections(), null);
              if (reply instanceof OrderDesk.ReconcileFailed f) return new Checked(id, List.of(), f.error());
              if (reply instanceof OrderDesk.NotFound) return new Checked(id, List.of(), null);
              return new Checked(id, List.of(), failure != null ? "no answer from order " + id + ": " + failure : "unexpected reply " + reply);
            }))
        .runWith(Sink.seq(), system)
        .thenCompose(results -> {
          List<String> failed = new ArrayList<>();
          List<String> kinds = new ArrayList<>();
          String firstError = null;
          for (Checked c : results) {
            kinds.addAll(c.corrections());
            if (c.error() != null) {
              failed.add(c.id());
              if (firstError == null) firstError = c.error();
            }
          }
          int ok = results.size() - failed.size();
          if (firstError != null) return CompletableFuture.completedFuture(new Pass(ok, failed, kinds, List.of(), firstError));
          return externalOrders(known).handle((ext, failure) -> failure != null
              ? new Pass(ok, List.of(), kinds, List.of(), "venue open orders: " + failure)
              : new Pass(ok, List.of(), kinds, ext, null));
        });
  }

  /** Venue open orders not among the orders the desks recovered open: unknown here, or final here (executorStatus). */
  private CompletionStage<List<ExternalOrder>> externalOrders(Map<String, String> known) {
    return venue.openOrders().thenCompose(open -> {
      Set<String> seen = new HashSet<>();
      List<Venue.VenueOrderReport> candidates = open.stream()
          .filter(r -> !known.containsKey(r.clientOrderId()) && seen.add(r.clientOrderId())).toList();
      return Source.from(candidates)
          .mapAsyncUnordered(settings.parallelism(), r -> orders.get(r.clientOrderId(), Scope.ALL)
              .thenApply(found -> {
                Order here = found.orElse(null);
                if (here != null && !here.status().isFinal()) return Optional.<ExternalOrder>empty();
                return Optional.of(new ExternalOrder(r.clientOrderId(), r.venueOrderId(), r.symbol(), r.status().name(),
                    here == null ? null : here.status().name()));
              }))
          .filter(Optional::isPresent)
          .map(Optional::get)
          .runWith(Sink.seq(), system);
    });
  }
}
