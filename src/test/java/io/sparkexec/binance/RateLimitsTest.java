package io.sparkexec.binance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The limiter on explicit times: windows, waits, bans, and keys kept apart. */
class RateLimitsTest {

  final RateLimits limits = new RateLimits(RateLimits.Settings.perSecond(10, 3, 2, Duration.ofSeconds(10)), "test");
  static final long T = 1_700_000_000_000L;

  @Test
  void weightAndOrdersAreCountedPerSecond() {
    assertEquals(4, limits.admit("k", 4, 1, T).usedWeight());
    assertInstanceOf(RateLimits.Allowed.class, limits.admit("k", 6, 1, T + 100));
    RateLimits.Limited limited = assertInstanceOf(RateLimits.Limited.class, limits.admit("k", 1, 0, T + 200));
    assertEquals("REQUEST_WEIGHT", limited.limit());
    assertEquals(1, limited.retryAfterSeconds());
    assertInstanceOf(RateLimits.Allowed.class, limits.admit("k", 10, 0, T + 1000), "a new second, a new budget");
    assertInstanceOf(RateLimits.Allowed.class, limits.admit("other", 10, 0, T + 1000), "keys apart");
  }

  @Test
  void ordersHaveTheirOwnLimit() {
    assertInstanceOf(RateLimits.Allowed.class, limits.admit("k", 1, 3, T));
    RateLimits.Limited limited = assertInstanceOf(RateLimits.Limited.class, limits.admit("k", 1, 1, T + 1));
    assertEquals("ORDERS", limited.limit());
    assertEquals("ORDERS", assertInstanceOf(RateLimits.Limited.class, limits.admit("k", 1, 0, T + 2)).limit(), "still waiting for the same limit");
  }

  @Test
  void sendingOnWhileToldToWaitIsBanned() {
    limits.admit("k", 10, 0, T);
    assertInstanceOf(RateLimits.Limited.class, limits.admit("k", 1, 0, T + 10));
    // tolerated: requests already in flight when the 429 went out
    assertInstanceOf(RateLimits.Limited.class, limits.admit("k", 1, 0, T + 20));
    assertInstanceOf(RateLimits.Limited.class, limits.admit("k", 1, 0, T + 30));
    RateLimits.Banned banned = assertInstanceOf(RateLimits.Banned.class, limits.admit("k", 1, 0, T + 40));
    assertEquals(10, banned.retryAfterSeconds());
    assertEquals(5, assertInstanceOf(RateLimits.Banned.class, limits.admit("k", 1, 0, T + 5040)).retryAfterSeconds());
    assertInstanceOf(RateLimits.Allowed.class, limits.admit("k", 1, 0, T + 10_040), "the ban ends");
  }

  @Test
  void aClientThatWaitsIsNeverBanned() {
    for (int second = 0; second < 5; second++) {
      long start = T + second * 1000L;
      limits.admit("k", 10, 0, start);
      assertInstanceOf(RateLimits.Limited.class, limits.admit("k", 1, 0, start + 1));
    }
    assertInstanceOf(RateLimits.Allowed.class, limits.admit("k", 1, 0, T + 5000));
  }

  @Test
  void weightAndOrdersMayHaveWindowsOfTheirOwn() {
    RateLimits minute = new RateLimits(new RateLimits.Settings(5, Duration.ofMinutes(1), 2, Duration.ofSeconds(10), 2, Duration.ofSeconds(10)), "test");
    long start = T - T % 60_000;
    assertInstanceOf(RateLimits.Allowed.class, minute.admit("k", 1, 1, start));
    assertInstanceOf(RateLimits.Allowed.class, minute.admit("k", 1, 1, start + 1000));
    RateLimits.Limited orders = assertInstanceOf(RateLimits.Limited.class, minute.admit("k", 1, 1, start + 2000));
    assertEquals("ORDERS", orders.limit());
    assertEquals(8, orders.retryAfterSeconds(), "until the 10-s window ends");
    RateLimits.Allowed next = assertInstanceOf(RateLimits.Allowed.class, minute.admit("k", 1, 1, start + 10_000));
    assertEquals(3, next.usedWeight(), "the weight window still runs: a minute");
    minute.admit("k", 2, 0, start + 10_001);
    RateLimits.Limited weight = assertInstanceOf(RateLimits.Limited.class, minute.admit("k", 1, 0, start + 20_000));
    assertEquals("REQUEST_WEIGHT", weight.limit());
    assertEquals(40, weight.retryAfterSeconds());
  }
}
