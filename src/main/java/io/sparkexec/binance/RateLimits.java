package io.sparkexec.binance;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binance-style limits per API key in fixed windows: request weight (one window length) and
 * orders (another). Past a limit the client is told to wait until that window ends (429); a
 * client that keeps sending while told to wait is banned for a while (418). Each key's counters
 * sit behind their own lock, held only for arithmetic. The table holds one entry per known key:
 * callers pass unknown keys as one shared name, so made-up keys cannot grow it.
 */
public final class RateLimits {

  private static final Logger log = LoggerFactory.getLogger(RateLimits.class);

  /** @param banAfterRequests requests tolerated while told to wait before the ban */
  public record Settings(int weightLimit, Duration weightWindow, int ordersLimit, Duration ordersWindow, int banAfterRequests,
      Duration banDuration) {
    public Settings {
      if (weightLimit < 1 || ordersLimit < 1) throw new IllegalArgumentException("rate limits must be at least 1");
      if (weightWindow.toMillis() < 1000 || ordersWindow.toMillis() < 1000) throw new IllegalArgumentException("rate limit windows are whole seconds");
    }

    /** The simulator's: both limits per second. */
    public static Settings perSecond(int weight, int orders, int banAfterRequests, Duration banDuration) {
      return new Settings(weight, Duration.ofSeconds(1), orders, Duration.ofSeconds(1), banAfterRequests, banDuration);
    }
  }

  public sealed interface Verdict {
    int usedWeight();

    int usedOrders();
  }

  public record Allowed(int usedWeight, int usedOrders) implements Verdict {}

  /** 429: over {@code limit}; come back after {@code retryAfterSeconds}. */
  public record Limited(String limit, int retryAfterSeconds, int usedWeight, int usedOrders) implements Verdict {}

  /** 418: kept going while told to wait. */
  public record Banned(int retryAfterSeconds, int usedWeight, int usedOrders) implements Verdict {}

  private static final class Window {
    long weightWindow = -1;
    long ordersWindow = -1;
    int weight;
    int orders;
    long waitUntil;
    String waitingFor;
    int requestsWhileWaiting;
    long bannedUntil;
  }

  private final Settings settings;
  private final String room;
  private final long weightMillis;
  private final long ordersMillis;
  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  /** {@code room}: the log events' prefix (venue_sim, binance_front). */
  public RateLimits(Settings settings, String room) {
    this.settings = settings;
    this.room = room;
    this.weightMillis = settings.weightWindow().toMillis();
    this.ordersMillis = settings.ordersWindow().toMillis();
  }

  public Settings settings() {
    return settings;
  }

  public Verdict admit(String key, int weight, int orders, long nowMillis) {
    Window w = windows.computeIfAbsent(key, k -> new Window());
    synchronized (w) {
      long weightWindow = nowMillis / weightMillis;
      long ordersWindow = nowMillis / ordersMillis;
      if (weightWindow != w.weightWindow) {
        w.weightWindow = weightWindow;
        w.weight = 0;
      }
      if (ordersWindow != w.ordersWindow) {
        w.ordersWindow = ordersWindow;
        w.orders = 0;
      }
      if (nowMillis < w.bannedUntil) return new Banned(secondsUntil(w.bannedUntil, nowMillis), w.weight, w.orders);
      if (nowMillis < w.waitUntil) {
        if (++w.requestsWhileWaiting > settings.banAfterRequests()) {
          w.bannedUntil = nowMillis + settings.banDuration().toMillis();
          log.warn("event={}_client_banned key={} seconds={} reason=kept_sending_while_told_to_wait", room, key, settings.banDuration().toSeconds());
          return new Banned(secondsUntil(w.bannedUntil, nowMillis), w.weight, w.orders);
        }
        return new Limited(w.waitingFor, secondsUntil(w.waitUntil, nowMillis), w.weight, w.orders);
      }
      boolean overWeight = w.weight + weight > settings.weightLimit();
      if (overWeight || w.orders + orders > settings.ordersLimit()) {
        w.waitUntil = overWeight ? (weightWindow + 1) * weightMillis : (ordersWindow + 1) * ordersMillis;
        w.waitingFor = overWeight ? "REQUEST_WEIGHT" : "ORDERS";
        w.requestsWhileWaiting = 0;
        return new Limited(w.waitingFor, secondsUntil(w.waitUntil, nowMillis), w.weight, w.orders);
      }
      w.weight += weight;
      w.orders += orders;
      return new Allowed(w.weight, w.orders);
    }
  }

  private static int secondsUntil(long untilMillis, long nowMillis) {
    return (int) Math.max(1, (untilMillis - nowMillis + 999) / 1000);
  }
}
