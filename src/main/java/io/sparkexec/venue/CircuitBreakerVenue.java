package io.sparkexec.venue;

import com.typesafe.config.Config;
import io.sparkexec.metrics.Metrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.pattern.CircuitBreaker;
import org.apache.pekko.pattern.CircuitBreakerOpenException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Any venue behind Pekko's circuit breaker. Consecutive failures — errors, calls past the
 * breaker's timeout, and answers that say the outcome is unknown — open it; while open every
 * call is answered at once ({@link Unknown}, {@link CancelUnknown}, a failed query) without
 * touching the venue, so a sick venue is not hammered and callers do not pile up behind it.
 * After the reset timeout one trial call goes through (half-open): success closes the breaker,
 * failure opens it again for twice as long (up to the maximum). A refusal is the venue working
 * and never counts. The breaker's timers are Pekko's scheduler tasks: the per-call timeout is
 * cancelled when the call completes, and after {@link #close} nothing calls through any more.
 */
public final class CircuitBreakerVenue implements Venue {

  private static final Logger log = LoggerFactory.getLogger(CircuitBreakerVenue.class);

  public record Settings(int maxFailures, Duration callTimeout, Duration resetTimeout, Duration maxResetTimeout) {
    public static Settings fromConfig(Config breaker) {
      return new Settings(breaker.getInt("max-failures"), breaker.getDuration("call-timeout"), breaker.getDuration("reset-timeout"),
          breaker.getDuration("max-reset-timeout"));
    }
  }

  public enum State {
    CLOSED(0),
    HALF_OPEN(1),
    OPEN(2);

    final int gauge;

    State(int gauge) {
      this.gauge = gauge;
    }
  }

  private final Venue venue;
  private final CircuitBreaker breaker;
  private volatile State lastEntered = State.CLOSED;
  private volatile boolean closed;

  public CircuitBreakerVenue(Venue venue, Settings settings, ActorSystem<?> system) {
    this.venue = venue;
    this.breaker = new CircuitBreaker(system.executionContext(), system.classicSystem().scheduler(), settings.maxFailures(),
        settings.callTimeout(), settings.resetTimeout())
        .withExponentialBackoff(settings.maxResetTimeout())
        .addOnOpenListener(() -> enter(State.OPEN))
        .addOnHalfOpenListener(() -> enter(State.HALF_OPEN))
        .addOnCloseListener(() -> enter(State.CLOSED));
    Metrics.VENUE_BREAKER_STATE.withoutTags().update(State.CLOSED.gauge);
  }

  private void enter(State next) {
    State previous = lastEntered;
    lastEntered = next;
    Metrics.VENUE_BREAKER_STATE.withoutTags().update(next.gauge);
    Metrics.VENUE_BREAKER_TRANSITIONS.withTag("to", next.name().toLowerCase()).increment();
    if (next == State.CLOSED) log.info("event=venue_breaker_closed from={}", previous);
    else log.warn("event=venue_breaker_{} from={} failures={}", next.name().toLowerCase(), previous, breaker.currentFailureCount());
  }

  /** The breaker's own state, at once (the metric follows through listeners on the dispatcher). */
  public State state() {
    if (breaker.isOpen()) return State.OPEN;
    return breaker.isHalfOpen() ? State.HALF_OPEN : State.CLOSED;
  }

  /** Stops calling through: every later call is answered at once as if the breaker were open (shutdown). */
  public void close() {
    closed = true;
  }

  @Override
  public CompletionStage<List<SubmitResult>> submit(List<VenueOrder> orders) {
    return guarded(() -> venue.submit(orders), CircuitBreakerVenue::anyUnknown)
        .exceptionally(e -> {
          List<SubmitResult> unknown = new ArrayList<>(orders.size());
          for (VenueOrder o : orders) unknown.add(new Unknown(o.clientOrderId(), why(e)));
          return unknown;
        });
  }

  @Override
  public CompletionStage<CancelResult> cancel(String symbol, String clientOrderId) {
    return guarded(() -> venue.cancel(symbol, clientOrderId), r -> r instanceof CancelUnknown)
        .exceptionally(e -> new CancelUnknown(why(e)));
  }

  @Override
  public CompletionStage<Optional<VenueOrderReport>> query(String symbol, String clientOrderId) {
    return guarded(() -> venue.query(symbol, clientOrderId), r -> false);
  }

  @Override
  public CompletionStage<List<VenueOrderReport>> openOrders() {
    return guarded(venue::openOrders, r -> false);
  }

  @Override
  public void onExecutionReport(Consumer<VenueOrderReport> listener) {
    venue.onExecutionReport(listener);
  }

  @Override
  public boolean isSimulator() {
    return venue.isSimulator();
  }

  private interface Call<T> {
    CompletionStage<T> run();
  }

  private interface Failed<T> {
    boolean test(T result);
  }

  private <T> CompletionStage<T> guarded(Call<T> call, Failed<T> failedAnswer) {
    if (closed) return CompletableFuture.failedFuture(new IllegalStateException("venue link closed (shutting down)"));
    return breaker.callWithCircuitBreakerCS(call::run,
        (result, error) -> error.isPresent() || (result.isPresent() && failedAnswer.test(result.get())));
  }

  /** A batch counts as one failure when any of its orders came back unknown (the transport failed for all). */
  private static boolean anyUnknown(List<SubmitResult> results) {
    for (SubmitResult r : results) if (r instanceof Unknown) return true;
    return false;
  }

  private static String why(Throwable e) {
    Throwable cause = e.getCause() != null && !(e instanceof CircuitBreakerOpenException) ? e.getCause() : e;
    if (cause instanceof CircuitBreakerOpenException) return "venue circuit breaker open";
    return cause.getClass().getSimpleName() + ": " + cause.getMessage();
  }
}
