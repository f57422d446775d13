package io.sparkexec.order;

import io.sparkexec.venue.Venue;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Order status queries to the venue, at most {@code parallelism} in flight across every order:
 * in-doubt checkers and restart reconciliation share it, so thousands of open orders after a
 * restart or a venue blip queue here instead of flooding the venue. Non-blocking: the next
 * waiting query starts when one completes.
 */
public final class VenueChecks {

  private final Venue venue;
  private final int parallelism;
  private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
  private int inFlight;

  public VenueChecks(Venue venue, int parallelism) {
    if (parallelism < 1) throw new IllegalArgumentException("parallelism must be at least 1");
    this.venue = venue;
    this.parallelism = parallelism;
  }

  public int parallelism() {
    return parallelism;
  }

  public CompletionStage<Optional<Venue.VenueOrderReport>> query(String symbol, String clientOrderId) {
    CompletableFuture<Optional<Venue.VenueOrderReport>> result = new CompletableFuture<>();
    Runnable start = () -> {
      CompletionStage<Optional<Venue.VenueOrderReport>> call;
      try {
        call = venue.query(symbol, clientOrderId);
      } catch (RuntimeException e) {
        call = CompletableFuture.failedFuture(e);
      }
      call.whenComplete((report, error) -> {
        release();
        if (error != null) result.completeExceptionally(error);
        else result.complete(report);
      });
    };
    boolean now;
    synchronized (this) {
      now = inFlight < parallelism;
      if (now) inFlight++;
      else waiting.add(start);
    }
    if (now) start.run();
    return result;
  }

  private void release() {
    Runnable next;
    synchronized (this) {
      next = waiting.poll();
      if (next == null) inFlight--;
    }
    if (next != null) next.run();
  }
}
