package io.sparkexec.chaos;

import io.sparkexec.metrics.Metrics;
import io.sparkexec.venue.Venue;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.pattern.Patterns;

/**
 * Fault injection on the venue link, as a decorator right above the real venue (below the circuit
 * breaker, which then sees chaos faults as it would see real ones). Per call, in scope: added
 * latency before the call leaves; an error instead of the call (the answers a transport failure
 * gives: unknown submit, unknown cancel, failed query); or a timeout, where the call reaches the
 * venue and its answer is dropped, and "unknown" comes back later (accepted, response lost).
 * Delays are scheduler timers, never blocked threads.
 */
public final class ChaosVenue implements Venue {

  static final String INJECTED_ERROR = "chaos: injected venue error";
  static final String LOST_RESPONSE = "chaos: venue response lost (timeout)";

  private final Venue venue;
  private final Supplier<ChaosSettings> settings;
  private final ActorSystem<?> system;
  private final Duration timeoutAfter;

  /** {@code timeoutAfter}: how long after a "lost response" call its unknown answer comes back. */
  public ChaosVenue(Venue venue, Supplier<ChaosSettings> settings, ActorSystem<?> system, Duration timeoutAfter) {
    this.venue = venue;
    this.settings = settings;
    this.system = system;
    this.timeoutAfter = timeoutAfter;
  }

  private enum Fault {
    NONE,
    ERROR,
    TIMEOUT
  }

  @Override
  public CompletionStage<List<SubmitResult>> submit(List<VenueOrder> orders) {
    ChaosSettings s = settings.get();
    if (!s.venueActive() || orders.stream().noneMatch(o -> s.scope().coversSymbol(o.symbol()))) return venue.submit(orders);
    return faulted(s, () -> venue.submit(orders), why -> CompletableFuture.completedFuture(
        orders.stream().<SubmitResult>map(o -> new Unknown(o.clientOrderId(), why)).toList()));
  }

  @Override
  public CompletionStage<CancelResult> cancel(String symbol, String clientOrderId) {
    ChaosSettings s = settings.get();
    if (!s.venueActive() || !s.scope().coversSymbol(symbol)) return venue.cancel(symbol, clientOrderId);
    return faulted(s, () -> venue.cancel(symbol, clientOrderId), why -> CompletableFuture.completedFuture(new CancelUnknown(why)));
  }

  /** A query has no "unknown" answer: it fails, as a transport error or a timeout would make it. */
  @Override
  public CompletionStage<Optional<VenueOrderReport>> query(String symbol, String clientOrderId) {
    ChaosSettings s = settings.get();
    if (!s.venueActive() || !s.scope().coversSymbol(symbol)) return venue.query(symbol, clientOrderId);
    return faulted(s, () -> venue.query(symbol, clientOrderId), why -> CompletableFuture.failedFuture(
        why.equals(LOST_RESPONSE) ? new TimeoutException(why) : new IOException(why)));
  }

  @Override
  public CompletionStage<List<VenueOrderReport>> openOrders() {
    return venue.openOrders();
  }

  @Override
  public void onExecutionReport(Consumer<VenueOrderReport> listener) {
    venue.onExecutionReport(listener);
  }

  @Override
  public boolean isSimulator() {
    return venue.isSimulator();
  }

  /** {@code failure} gives the answer a transport failure would, given the reason. */
  private <T> CompletionStage<T> faulted(ChaosSettings s, Supplier<CompletionStage<T>> call, Function<String, CompletionStage<T>> failure) {
    Fault fault = roll(s);
    return delayed(s, () -> switch (fault) {
      case NONE -> call.get();
      case ERROR -> failure.apply(INJECTED_ERROR);
      case TIMEOUT -> {
        call.get(); // reaches the venue; its answer is dropped
        yield Patterns.after(timeoutAfter, system, () -> failure.apply(LOST_RESPONSE));
      }
    });
  }

  private static Fault roll(ChaosSettings s) {
    Fault fault = ChaosSettings.hit(s.venueErrorPct()) ? Fault.ERROR : ChaosSettings.hit(s.venueTimeoutPct()) ? Fault.TIMEOUT : Fault.NONE;
    if (fault != Fault.NONE) Metrics.CHAOS_VENUE_FAULTS.withTag("kind", fault == Fault.ERROR ? "error" : "timeout").increment();
    return fault;
  }

  private <T> CompletionStage<T> delayed(ChaosSettings s, Supplier<CompletionStage<T>> call) {
    if (s.venueLatencyMs() == 0) return call.get();
    return Patterns.after(Duration.ofMillis(s.venueLatencyMs()), system, call::get);
  }
}
