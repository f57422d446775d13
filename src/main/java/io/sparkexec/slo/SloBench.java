package io.sparkexec.slo;

import io.sparkexec.AppConfig;
import io.sparkexec.metrics.Metrics;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;

/**
 * SLO recording cost, a benchmark and not a test:
 * {@code java -cp target/spark-executor.jar io.sparkexec.slo.SloBench [seconds (default 2)]}. Side by side in
 * one run, with 1 and 2 threads: a Kamon counter increment (what the order path already pays
 * per metric) and {@code recordLatency} of the place->ack SLO (global and per strategy: two rings
 * each, plus its Kamon counter), with the shipped conf/slo.conf.
 */
public final class SloBench {

  private SloBench() {}

  private interface Op {
    void run(int i);
  }

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    SloSettings settings = SloSettings.fromConfig(AppConfig.load().getConfig("spark.slo"));
    String[] strategies = {"alpha", "beta", "gamma", "delta"};
    Duration[] latencies = {Duration.ofMillis(3), Duration.ofMillis(40), Duration.ofMillis(1500)};
    kamon.metric.Counter counter = Metrics.ORDERS_ACCEPTED.withoutTags();
    System.out.println("what threads ns_per_op_per_thread total_mops_per_s");
    for (int threads : new int[] {1, 2}) {
      run("kamon_counter", threads, seconds, () -> i -> counter.increment());
      // a fresh service per phase: a bucket counts at most 67M events, which a few seconds of this loop reach
      run("slo_record_latency", threads, seconds, () -> {
        SloService slo = new SloService(settings, Clock.systemUTC());
        return i -> slo.recordLatency(SloService.PLACE_ACK_LATENCY, strategies[i & 3], latencies[i % 3]);
      });
    }
  }

  private static void run(String what, int threads, int seconds, java.util.function.Supplier<Op> op) throws InterruptedException {
    loop(threads, 1, op.get()); // warm-up: let the JIT compile the loop
    long[] result = loop(threads, seconds, op.get());
    double opsTotal = result[0];
    double nanos = result[1];
    System.out.printf("%s %d %.1f %.2f%n", what, threads, nanos * threads / opsTotal, opsTotal / (nanos / 1e9) / 1e6);
  }

  /** {total ops, elapsed nanos} of {@code threads} threads calling {@code op} for {@code seconds}. */
  private static long[] loop(int threads, int seconds, Op op) throws InterruptedException {
    LongAdder ops = new LongAdder();
    CountDownLatch go = new CountDownLatch(1);
    long deadline = System.nanoTime() + 100_000_000L + seconds * 1_000_000_000L;
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread w = new Thread(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        long n = 0;
        while (true) {
          for (int i = 0; i < 1024; i++) op.run((int) n + i);
          n += 1024;
          if (System.nanoTime() >= deadline) break;
        }
        ops.add(n);
      });
      w.start();
      workers.add(w);
    }
    long start = System.nanoTime();
    go.countDown();
    for (Thread w : workers) w.join();
    return new long[] {ops.sum(), System.nanoTime() - start};
  }
}
