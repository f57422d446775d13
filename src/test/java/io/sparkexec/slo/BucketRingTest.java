package io.sparkexec.slo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class BucketRingTest {

  private static final long MINUTE = 60_000;

  @Test
  void windowsRollBucketByBucket() {
    BucketRing ring = new BucketRing(MINUTE, 6);
    ring.record(0, false);
    ring.record(30_000, true);
    ring.record(MINUTE, true);
    // at 1:59 the 1-bucket window holds minute 1 only, the 2-bucket window minutes 0 and 1
    assertEquals(new BucketRing.Counts(1, 1), ring.sum(2 * MINUTE - 1, 1));
    assertEquals(new BucketRing.Counts(2, 3), ring.sum(2 * MINUTE - 1, 2));
    // at 6:00 minute 0 has left even the widest window; minute 1 is still in it
    assertEquals(new BucketRing.Counts(1, 1), ring.sum(6 * MINUTE, 6));
    assertEquals(new BucketRing.Counts(0, 0), ring.sum(7 * MINUTE, 6));
  }

  @Test
  void aSlotFromAnOlderLapStartsAfresh() {
    BucketRing ring = new BucketRing(MINUTE, 6);
    ring.record(0, false);
    ring.record(6 * MINUTE, true); // same slot, next lap
    assertEquals(new BucketRing.Counts(1, 1), ring.sum(6 * MINUTE, 6));
  }

  @Test
  void memoryStaysBoundedWhateverTheTrafficAndTime() {
    BucketRing ring = new BucketRing(MINUTE, 360);
    for (long m = 0; m < 10_000; m++) for (int i = 0; i < 3; i++) ring.record(m * MINUTE + i, i != 0);
    assertEquals(360, ring.buckets());
    // the whole ring is the last 360 minutes: 3 events each, one bad
    assertEquals(new BucketRing.Counts(720, 1080), ring.sum(9_999 * MINUTE, 10_000));
  }

  @Test
  void concurrentRecordsAreAllCounted() throws Exception {
    BucketRing ring = new BucketRing(MINUTE, 10);
    int threads = 4;
    int each = 100_000;
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread w = new Thread(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        // the first record in minute 1 resets its slot (an empty slot carries tag 0) while others race to add
        for (int i = 0; i < each; i++) ring.record(i < each / 2 ? MINUTE - 1 : MINUTE, i % 4 != 0);
      });
      w.start();
      workers.add(w);
    }
    go.countDown();
    for (Thread w : workers) w.join();
    assertEquals(new BucketRing.Counts(threads * each * 3L / 4, (long) threads * each), ring.sum(MINUTE, 2));
  }

  @Test
  void burnRateAndComplianceOfCounts() {
    BucketRing.Counts c = new BucketRing.Counts(85, 100);
    assertEquals(15.0, c.burnRate(0.99), 1e-9);
    assertEquals(0.85, c.compliance(), 1e-12);
    assertEquals(0.0, new BucketRing.Counts(0, 0).burnRate(0.99));
    assertEquals(1.0, new BucketRing.Counts(0, 0).compliance());
  }
}
