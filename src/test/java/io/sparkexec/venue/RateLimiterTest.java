package io.sparkexec.venue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

  private static final long MS = 1_000_000L;
  private final AtomicLong now = new AtomicLong(1_000_000 * MS);

  private RateLimiter limiter(int weightPerSecond, int ordersPerSecond) {
    RateLimiter l = new RateLimiter(1.0, now::get);
    l.configure(weightPerSecond, ordersPerSecond);
    return l;
  }

  @Test
  void unconfiguredLimitsLetEverythingGoAtOnce() {
    RateLimiter l = new RateLimiter(0.8, now::get);
    for (int i = 0; i < 10_000; i++) assertEquals(0, l.reserve(1, 1));
  }

  @Test
  void aBurstPastTheBucketIsSpreadAtThePublishedRate() {
    // 100 weight/s: the bucket holds 10 (a tenth of a second), then one call every 10 ms
    RateLimiter l = limiter(100, 0);
    for (int i = 0; i < 10; i++) assertEquals(0, l.reserve(1, 0), "call " + i + " fits the burst");
    assertEquals(0, l.reserve(1, 0), "the first call past the bucket goes at once and leaves a debt");
    assertEquals(10 * MS, l.reserve(1, 0));
    assertEquals(20 * MS, l.reserve(1, 0));
    now.addAndGet(20 * MS);
    assertEquals(10 * MS, l.reserve(1, 0), "waits only for the debt left");
  }

  @Test
  void noOneSecondWindowGetsMoreThanTheLimit() {
    RateLimiter l = limiter(200, 0);
    long windowEnd = now.get() + 1000 * MS;
    int sentInWindow = 0;
    for (int i = 0; i < 1000; i++) {
      long at = now.get() + l.reserve(1, 0);
      if (at < windowEnd) sentInWindow++;
    }
    assertTrue(sentInWindow <= 200 + 20 + 1, "sent " + sentInWindow + " in the first second at 200/s");
    assertTrue(sentInWindow >= 200, "sent " + sentInWindow + ": the limit is used");
  }

  @Test
  void ordersAndWeightAreBothHonoured() {
    // 10 orders/s: the bucket holds 1 order; a call of 5 goes at once and leaves a debt of 4
    RateLimiter l = limiter(1000, 10);
    assertEquals(0, l.reserve(5, 5));
    assertEquals(400 * MS, l.reserve(5, 5), "the weight has room; the orders wait for the debt");
    assertEquals(900 * MS, l.reserve(1, 10), "and for the second call's 5 orders at 10/s");
    assertEquals(0, new RateLimiter(1.0, now::get).reserve(1, 10));
  }

  @Test
  void headroomLowersTheRate() {
    RateLimiter l = new RateLimiter(0.5, now::get);
    l.configure(100, 0);
    for (int i = 0; i < 6; i++) l.reserve(1, 0); // burst of 5 at 50/s, the sixth leaves a debt
    assertEquals(20 * MS, l.reserve(1, 0), "50/s = one call per 20 ms");
  }

  @Test
  void retryAfterHoldsEveryCallUntilItPasses() {
    RateLimiter l = limiter(1000, 0);
    l.backOff(Duration.ofSeconds(2));
    assertEquals(2000 * MS, l.reserve(1, 0));
    now.addAndGet(500 * MS);
    assertEquals(1500 * MS, l.reserve(1, 0));
    l.backOff(Duration.ofSeconds(1)); // shorter than what is left: the longer wait stands
    assertEquals(1500 * MS, l.reserve(1, 0));
    now.addAndGet(1500 * MS);
    assertEquals(0, l.reserve(1, 0));
  }
}
