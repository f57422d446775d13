package io.sparkexec.slo;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Good/total event counts in a fixed ring of time buckets: bounded memory whatever the traffic,
 * and lock-free recording. Each slot is one {@code long} packing the bucket's tag (its epoch
 * modulo 4096), the good count and the total count, so a record is one CAS that also resets a
 * slot left over from an older lap of the ring: no count is lost to a reset race.
 */
final class BucketRing {

  private static final int COUNT_BITS = 26;
  private static final long COUNT_MASK = (1L << COUNT_BITS) - 1;
  private static final int TAG_SHIFT = 2 * COUNT_BITS;
  private static final long TAG_MASK = (1L << (64 - TAG_SHIFT)) - 1;
  private static final long ONE_TOTAL = 1L;
  private static final long ONE_GOOD = 1L << COUNT_BITS;

  private final long bucketMillis;
  private final AtomicLongArray slots;

  BucketRing(long bucketMillis, int buckets) {
    if (bucketMillis <= 0 || buckets <= 0 || buckets >= TAG_MASK) throw new IllegalArgumentException("bucketMillis and buckets (< 4095) must be positive");
    this.bucketMillis = bucketMillis;
    this.slots = new AtomicLongArray(buckets);
  }

  int buckets() {
    return slots.length();
  }

  long bucketMillis() {
    return bucketMillis;
  }

  void record(long nowMillis, boolean good) {
    long epoch = Math.floorDiv(nowMillis, bucketMillis);
    int slot = (int) Math.floorMod(epoch, (long) slots.length());
    long tag = epoch & TAG_MASK;
    while (true) {
      long v = slots.get(slot);
      long vTag = v >>> TAG_SHIFT;
      long next;
      if (vTag == tag) {
        // a bucket holds 67M events; past that it stops counting rather than corrupt its neighbours
        if ((v & COUNT_MASK) == COUNT_MASK) return;
        next = v + ONE_TOTAL + (good ? ONE_GOOD : 0);
      } else {
        // an older lap's bucket (or empty): this record starts the bucket afresh

        next = (tag << TAG_SHIFT) | (good ? ONE_GOOD : 0) | ONE_TOTAL;
      }
      if (slots.compareAndSet(slot, v, next)) return;
    }
  }

  /** The counts of the last {@code buckets} buckets, the current (still filling) one included. */
  Counts sum(long nowMillis, int buckets) {
    long epoch = Math.floorDiv(nowMillis, bucketMillis);
    int n = Math.min(buckets, slots.length());
    long good = 0;
    long total = 0;
    for (long e = epoch - n + 1; e <= epoch; e++) {
      long v = slots.get((int) Math.floorMod(e, (long) slots.length()));
      if ((v >>> TAG_SHIFT) != (e & TAG_MASK)) continue;
      total += v & COUNT_MASK;
      good += (v >>> COUNT_BITS) & COUNT_MASK;
    }
    return new Counts(good, total);
  }

  /** Events in a window: {@code good} of {@code total} met the objective's rule. */
  record Counts(long good, long total) {
    long bad() {
      return total - good;
    }

    /** Share of good events; 1 when there were none (nothing went wrong). */
    double compliance() {
      return total == 0 ? 1.0 : (double) good / total;
    }

    /** How fast the window spends the error budget: its error ratio over the allowed one (1 - objective). */
    double burnRate(double objective) {
      return total == 0 ? 0.0 : ((double) bad() / total) / (1.0 - objective);
    }
  }
}
