package io.sparkexec.venue;

import io.sparkexec.metrics.Metrics;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.Scheduler;
import scala.concurrent.ExecutionContext;

/**
 * Client side of the venue's published per-second limits (exchangeInfo rateLimits: request
 * weight and orders) and of its 429/418 Retry-After answers. A call is never refused here: it
 * gets a start time, and {@link #acquire} completes then (on the scheduler, no thread waits), so
 * a busy limit delays the batcher's venue calls and its bounded parallelism backpressures.
 *
 * <p>Each limit is a token bucket refilled at {@code headroom x limit} per second holding at most a
 * tenth of a second's worth, so no fixed one-second window at the venue can see more than the
 * limit. A call larger than the bucket goes at once and the next calls pay its debt (no call
 * ever waits for more than its own share).
 */
public final class RateLimiter {

  private static final double BURST_SECONDS = 0.1;

  private final LongSupplier nanoTime;
  private final double headroom;
  private Bucket weight;
  private Bucket orders;
  private long blockedUntil;
  private boolean blocked;

  public RateLimiter(double headroom, LongSupplier nanoTime) {
    if (headroom <= 0 || headroom > 1) throw new IllegalArgumentException("headroom must be in (0, 1]: " + headroom);
    this.headroom = headroom;
    this.nanoTime = nanoTime;
  }

  /** The venue's published limits per second; 0 or less = that limit is not enforced. */
  public synchronized void configure(int weightPerSecond, int ordersPerSecond) {
    long now = nanoTime.getAsLong();
    weight = weightPerSecond > 0 ? new Bucket(weightPerSecond * headroom, now) : null;
    orders = ordersPerSecond > 0 ? new Bucket(ordersPerSecond * headroom, now) : null;
  }

  /** The venue said 429/418 with Retry-After: nothing is sent before it has passed. */
  public synchronized void backOff(Duration retryAfter) {
    long until = nanoTime.getAsLong() + retryAfter.toNanos();
    if (!blocked || until - blockedUntil > 0) blockedUntil = until;
    blocked = true;
  }

  /** Reserves a call's weight and orders and answers how long it must wait before it is sent (nanoseconds, 0 = now). */
  public synchronized long reserve(int callWeight, int callOrders) {
    long now = nanoTime.getAsLong();
    long start = blocked && blockedUntil - now > 0 ? blockedUntil : now;
    if (blocked && blockedUntil - now <= 0) blocked = false;
    long go = start;
    if (weight != null && callWeight > 0) go = later(go, weight.reserve(start, callWeight));
    if (orders != null && callOrders > 0) go = later(go, orders.reserve(start, callOrders));
    return Math.max(0, go - now);
  }

  /** Completes when the call may be sent. */
  public CompletionStage<Void> acquire(int callWeight, int callOrders, Scheduler scheduler, ExecutionContext ec) {
    long wait = reserve(callWeight, callOrders);
    if (wait == 0) return CompletableFuture.completedFuture(null);
    Metrics.VENUE_RATE_LIMIT_WAITS.withoutTags().increment();
    Metrics.VENUE_RATE_LIMIT_WAIT_DURATION.withoutTags().record(wait);
    CompletableFuture<Void> go = new CompletableFuture<>();
    scheduler.scheduleOnce(Duration.ofNanos(wait), () -> go.complete(null), ec);
    return go;
  }

  private static long later(long a, long b) {
    return b - a > 0 ? b : a;
  }

  /** Tokens accrue at {@code perSecond}; {@code nextFree} is when the debt of earlier calls is paid. */
  private static final class Bucket {
    final double perNano;
    final double maxStored;
    double stored;
    long nextFree;

    Bucket(double perSecond, long now) {
      this.perNano = perSecond / 1e9;
      this.maxStored = Math.max(1, perSecond * BURST_SECONDS);
      this.stored = maxStored;
      this.nextFree = now;
    }

    long reserve(long at, int permits) {
      if (at - nextFree > 0) {
        stored = Math.min(maxStored, stored + (at - nextFree) * perNano);
        nextFree = at;
      }
      long start = nextFree;
      double spent = Math.min(permits, stored);
      stored -= spent;
      nextFree = start + (long) ((permits - spent) / perNano);
      return start;
    }
  }
}
