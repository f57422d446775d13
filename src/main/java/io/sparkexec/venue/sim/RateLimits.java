package io.sparkexec.venue.sim;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binance-style limits per API key in one-second windows: request weight and orders. Past a
 * limit the client is told to wait until the window ends (429); a client that keeps sending
 * while told to wait is banned for a while (418). Each key's counters sit behind their own lock,
 * held only for arithmetic.
 */
final class RateLimits {

  private static final Logger log = LoggerFactory.getLogger(RateLimits.class);

  /** @param banAfterRequests requests tolerated while told to wait before the ban */
  record Settings(int weightPerSecond, int ordersPerSecond, int banAfterRequests, Duration banDuration) {}

  sealed interface Verdict {
    int usedWeight();
  }

  record Allowed(int usedWeight) implements Verdict {}

  /** 429: over {@code limit}; come back after {@code retryAfterSeconds}. */
  record Limited(String limit, int retryAfterSeconds, int usedWeight) implements Verdict {}

  /** 418: kept going while told to wait. */
  record Banned(int retryAfterSeconds, int usedWeight) implements Verdict {}

  private static final class Window {
    long second = -1;
    int weight;
    int orders;
    long waitUntil;
    int requestsWhileWaiting;
    long bannedUntil;
  }

  private final Settings settings;
  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  RateLimits(Settings settings) {
    this.settings = settings;
  }

  Settings settings() {
    return settings;
  }

  Verdict admit(String key, int weight, int orders, long nowMillis) {
    Window w = windows.computeIfAbsent(key, k -> new Window());
    synchronized (w) {
      long second = nowMillis / 1000;
      if (second != w.second) {
        w.second = second;
        w.weight = 0;
        w.orders = 0;
      }
      if (nowMillis < w.bannedUntil) return new Banned(secondsUntil(w.bannedUntil, nowMillis), w.weight);
      if (nowMillis < w.waitUntil) {
        if (++w.requestsWhileWaiting > settings.banAfterRequests()) {
          w.bannedUntil = nowMillis + settings.banDuration().toMillis();
          log.warn("event=venue_sim_client_banned key={} seconds={} reason=kept_sending_while_told_to_wait", key, settings.banDuration().toSeconds());
          return new Banned(secondsUntil(w.bannedUntil, nowMillis), w.weight);
        }
        return new Limited("REQUEST_WEIGHT", secondsUntil(w.waitUntil, nowMillis), w.weight);
      }
      String over = w.weight + weight > settings.weightPerSecond() ? "REQUEST_WEIGHT"
          : w.orders + orders > settings.ordersPerSecond() ? "ORDERS" : null;
      if (over != null) {
        w.waitUntil = (second + 1) * 1000;
        w.requestsWhileWaiting = 0;
        return new Limited(over, secondsUntil(w.waitUntil, nowMillis), w.weight);
      }
      w.weight += weight;
      w.orders += orders;
      return new Allowed(w.weight);
    }
  }

  private static int secondsUntil(long untilMillis, long nowMillis) {
    return (int) Math.max(1, (untilMillis - nowMillis + 999) / 1000);
  }
}
