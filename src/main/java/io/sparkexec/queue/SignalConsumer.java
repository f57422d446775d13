package io.sparkexec.queue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkexec.http.Json;
import io.sparkexec.metrics.Metrics;
import io.sparkexec.order.OrderRequest;
import io.sparkexec.order.OrderService;
import io.sparkexec.order.Rejection;
import io.sparkexec.order.Scope;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.RestartSettings;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.RestartSource;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns signal jobs into orders: claims jobs from the queue in batches, places each job's data
 * (an order body, as for {@code POST /api/private/order}) through {@link OrderService} with
 * clientOrderId = the job id, and acks the job only once the order is journaled. A crash at any
 * point redelivers the job; the order entity is idempotent by clientOrderId, so the redelivery
 * finds the order already there and is acked: at-least-once delivery, exactly-once effect.
 *
 * <p>Backpressure: a claim is made only when a processing slot is free ({@code parallelism}
 * slots, {@code claimBatch} jobs per claim), so at most claimBatch + parallelism jobs are claimed
 * and not yet placed. A transient failure holds its slot through a backoff before the nack, so a
 * venue or journal outage slows claiming down instead of spinning through the queue.
 */
public final class SignalConsumer {

  private static final Logger log = LoggerFactory.getLogger(SignalConsumer.class);
  private static final int MAX_REASON_CHARS = 500;

  public record Settings(boolean enabled, int parallelism, int claimBatch, Duration pollInterval, Duration visibility,
      Duration retryBackoff, Duration maxRetryBackoff, Set<String> strategies) {
    public static Settings fromConfig(com.typesafe.config.Config consumer) {
      return new Settings(consumer.getBoolean("enabled"), consumer.getInt("parallelism"), consumer.getInt("claim-batch"),
          consumer.getDuration("poll-interval"), consumer.getDuration("visibility"), consumer.getDuration("retry-backoff"),
          consumer.getDuration("max-retry-backoff"), strategies(consumer.getString("strategies")));
    }

    private static Set<String> strategies(String list) {
      return java.util.Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).collect(java.util.stream.Collectors.toUnmodifiableSet());
    }
  }

  /** What became of one job. */
  public enum Outcome {
    /** The order is journaled (now, or by an earlier delivery) and the job acked. */
    ORDERED("ordered"),
    /** Refused for good (invalid body, limit, halted, id conflict): in the dead letters with the reason. */
    DEAD_LETTERED("dead_lettered"),
    /** A transient failure: nacked after a backoff, to be delivered again. */
    RETRIED("retried"),
    /** The claim ran out before the ack; the order is journaled, so the redelivery will be acked. */
    CLAIM_LOST("claim_lost");

    final String label;

    Outcome(String label) {
      this.label = label;
    }
  }

  private final ActorSystem<?> system;
  private final QueueService queue;
  private final OrderService orders;
  private final Settings settings;
  private final Scope scope;
  private final String queueName;
  private final BooleanSupplier ready;
  private final AtomicInteger inFlight = new AtomicInteger();

  /**
   * {@code ready}: whether orders can be placed now (the executor's readiness). No job is claimed
   * while it is false, so start-up and a failed journal spend no deliveries of the jobs.
   */
  private volatile BiConsumer<String, Duration> latencyListener = (strategy, latency) -> {};

  public SignalConsumer(ActorSystem<?> system, QueueService queue, OrderService orders, Settings settings, String queueName,
      BooleanSupplier ready) {
    if (settings.maxRetryBackoff().compareTo(settings.visibility()) >= 0) {
      throw new IllegalArgumentException("the consumer's max-retry-backoff must be shorter than its visibility, or claims expire during backoff");
    }
    this.system = system;
    this.queue = queue;
    this.orders = orders;
    this.settings = settings;
    this.scope = Scope.of(settings.strategies());
    this.queueName = queueName;
    this.ready = ready;
  }

  /** Who hears each first-delivery signal latency (strategy, enqueue -> journaled): the SLO room. */
  public SignalConsumer onSignalLatency(BiConsumer<String, Duration> listener) {
    this.latencyListener = listener;
    return this;
  }

  /** Runs until the kill switch is pulled; claim errors restart the claim loop with a backoff. */
  public UniqueKillSwitch start() {
    log.info("event=signal_consumer_started queue={} parallelism={} claimBatch={} scope={}", queueName, settings.parallelism(),
        settings.claimBatch(), settings.strategies().isEmpty() ? "all" : settings.strategies());
    RestartSettings restart = RestartSettings.create(settings.pollInterval(), settings.maxRetryBackoff(), 0.2);
    return RestartSource.withBackoff(restart, () -> claims().mapConcat(jobs -> jobs))
        .viaMat(KillSwitches.single(), Keep.right())
        .mapAsyncUnordered(settings.parallelism(), this::handle)
        .toMat(Sink.ignore(), Keep.left())
        .run(system);
  }

  /** Claims batches while downstream wants jobs; an empty queue, a refused claim or not being ready waits a poll interval. */
  private Source<List<DurableQueue.ClaimedJob>, NotUsed> claims() {
    return Source.repeat(NotUsed.getInstance()).mapAsync(1, tick -> {
      if (!ready.getAsBoolean()) return idle();
      return queue.claim(settings.claimBatch(), settings.visibility()).thenCompose(result ->
          result instanceof QueueService.Answered a && a.reply() instanceof DurableQueue.Claimed c && !c.jobs().isEmpty()
              ? CompletableFuture.completedFuture(c.jobs())
              : idle());
    });
  }

  private CompletionStage<List<DurableQueue.ClaimedJob>> idle() {
    return Patterns.after(settings.pollInterval(), system.classicSystem().scheduler(), system.executionContext(),
        () -> CompletableFuture.completedFuture(List.<DurableQueue.ClaimedJob>of()));
  }

  /** Never fails: every path ends in an outcome, and a failed ack or nack is left to the visibility timeout. */
  CompletionStage<Outcome> handle(DurableQueue.ClaimedJob job) {
    Metrics.SIGNALS_IN_FLIGHT.withTag("queue", queueName).update(inFlight.incrementAndGet());
    CompletionStage<Outcome> outcome;
    OrderRequest.Parsed parsed = parse(job);
    if (parsed.rejection() != null) {
      outcome = deadLetter(job, describe(parsed.rejection()));
    } else {
      outcome = orders.place(parsed.request(), scope)
          .thenCompose(placed -> afterPlace(job, placed))
          .exceptionallyCompose(e -> retry(job, "place failed: " + e));
    }
    return outcome.exceptionally(e -> Outcome.RETRIED).thenApply(o -> {
      Metrics.SIGNALS.withTag("queue", queueName).withTag("outcome", o.label).increment();
      Metrics.SIGNALS_IN_FLIGHT.withTag("queue", queueName).update(inFlight.decrementAndGet());
      return o;
    });
  }

  /**
   * The job's data as an order request: clientOrderId is the job id (a body naming another one is
   * refused), and respType is ACCEPTED, since the ack needs the order journaled and no more.
   */
  private static OrderRequest.Parsed parse(DurableQueue.ClaimedJob job) {
    // enqueue read the data strictly already; data journaled before that reader is held to it here, so it dead-letters, never throws
    Json.Parsed data = Json.parse(job.data());
    if (data.refusal() != null) {
      Json.Refusal r = data.refusal();
      return new OrderRequest.Parsed(null, Rejection.invalid("body".equals(r.field()) ? "data" : "data." + r.field(), r.code(), r.message()));
    }
    if (!(data.node() instanceof ObjectNode body)) {
      return new OrderRequest.Parsed(null, Rejection.invalid("data", "NOT_AN_OBJECT", "the job's data must be an order body (a JSON object)"));
    }
    JsonNode given = body.get("clientOrderId");
    if (given != null && !given.isNull() && !(given.isTextual() && given.textValue().equals(job.jobId()))) {
      return new OrderRequest.Parsed(null, Rejection.invalid("clientOrderId", "CLIENT_ORDER_ID_MISMATCH",
          "clientOrderId " + given + " differs from the job id " + job.jobId() + "; a signal's order is named by its job id"));
    }
    ObjectNode request = body.deepCopy();
    request.put("clientOrderId", job.jobId());
    request.put("respType", OrderRequest.RespType.ACCEPTED.name());
    // the id came from the job: validation of the id reads as the job id's fault
    return OrderRequest.parse(request, null, job::jobId);
  }

  private CompletionStage<Outcome> afterPlace(DurableQueue.ClaimedJob job, OrderService.PlaceOutcome placed) {
    if (placed instanceof OrderService.Placed p) {
      if (job.delivery() == 1 && p.order().timestamps().accepted() != null) {
        // enqueue -> journaled: the signal latency (an SLO's input); later deliveries would count a crash's downtime
        Duration latency = Duration.between(job.enqueuedAt(), p.order().timestamps().accepted());
        if (latency.isNegative()) latency = Duration.ZERO;
        Metrics.SIGNAL_LATENCY.withTag("queue", queueName).record(latency.toNanos());
        latencyListener.accept(p.order().strategy(), latency);
      }
      return queue.ack(job.jobId(), job.claimToken()).thenApply(r -> {
        if (r instanceof QueueService.Answered a && a.reply() instanceof DurableQueue.Acked) {
          log.debug("event=signal_ordered jobId={} delivery={} status={}", job.jobId(), job.delivery(), p.order().status());
          return Outcome.ORDERED;
        }
        log.info("event=signal_claim_lost jobId={} delivery={} answer={}", job.jobId(), job.delivery(), r);
        return Outcome.CLAIM_LOST;
      });
    }
    if (placed instanceof OrderService.Conflicting c) {
      return deadLetter(job, "IDEMPOTENCY_CONFLICT: clientOrderId " + job.jobId() + " is taken by an order with another body");
    }
    if (placed instanceof OrderService.Refused r) {
      Rejection.Kind kind = r.rejection().kind();
      return kind == Rejection.Kind.TOO_MANY || kind == Rejection.Kind.UNAVAILABLE
          ? retry(job, describe(r.rejection()))
          : deadLetter(job, describe(r.rejection()));
    }
    return retry(job, "OUTCOME_UNKNOWN: " + ((OrderService.OutcomeUnknown) placed).message());
  }

  private CompletionStage<Outcome> deadLetter(DurableQueue.ClaimedJob job, String reason) {
    log.info("event=signal_refused jobId={} delivery={} reason=\"{}\"", job.jobId(), job.delivery(), reason);
    // the queue dead-letters a job nacked on its last delivery; a refusal is final, so it goes there now
    return queue.deadLetter(job.jobId(), job.claimToken(), reason).thenApply(r -> Outcome.DEAD_LETTERED);
  }

  /** Backs off (doubling per delivery, capped) before the nack, holding the slot: claiming slows while failures last. */
  private CompletionStage<Outcome> retry(DurableQueue.ClaimedJob job, String reason) {
    long factor = 1L << Math.min(16, Math.max(0, job.delivery() - 1));
    Duration backoff = settings.retryBackoff().multipliedBy(factor);
    if (backoff.compareTo(settings.maxRetryBackoff()) > 0) backoff = settings.maxRetryBackoff();
    log.info("event=signal_retry jobId={} delivery={} backoffMs={} reason=\"{}\"", job.jobId(), job.delivery(), backoff.toMillis(), reason);
    return Patterns.after(backoff, system.classicSystem().scheduler(), system.executionContext(),
        () -> queue.nack(job.jobId(), job.claimToken(), truncate(reason)).thenApply(r -> Outcome.RETRIED));
  }

  private static String describe(Rejection r) {
    return truncate(r.code() + (r.field() == null ? "" : " (" + r.field() + ")") + ": " + r.message());
  }

  private static String truncate(String s) {
    return s.length() <= MAX_REASON_CHARS ? s : s.substring(0, MAX_REASON_CHARS);
  }
}
