package io.sparkexec.venue.sim;

import io.sparkexec.http.Json;
import io.sparkexec.testing.TestServer.Response;
import io.sparkexec.testing.TestVenueSim;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A closed-loop load of signed MARKET place calls (each fills at once) against a fresh
 * in-process simulator (a benchmark, not a test): {@code clients} threads each send one call at
 * a time over keep-alive (JDK HttpClient), single orders or batches of {@code batch}. Prints orders/s and call latency percentiles. Run:
 * {@code java -cp target/test-classes:target/spark-executor.jar io.sparkexec.venue.sim.VenueSimLoad [clients] [seconds] [batch] [fsync]}
 */
public final class VenueSimLoad {

  private VenueSimLoad() {}

  public static void main(String[] args) throws Exception {
    int clients = args.length > 0 ? Integer.parseInt(args[0]) : 16;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int batch = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    boolean fsync = args.length <= 3 || Boolean.parseBoolean(args[3]);
    Path dir = Files.createTempDirectory("venue-sim-load");
    try (TestVenueSim sim = TestVenueSim.inProcess(dir, Map.of("spark.venue-sim.fsync", fsync))) {
      run(sim, clients, 3, batch, "warmup");
      run(sim, clients, seconds, batch, "measured");
    }
  }

  private static void run(TestVenueSim sim, int clients, int seconds, int batch, String phase) throws Exception {
    AtomicInteger ids = new AtomicInteger();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<Future<long[]>> results = new ArrayList<>();
    long started = System.nanoTime();
    for (int c = 0; c < clients; c++) {
      results.add(pool.submit(() -> {
        long[] latencies = new long[1 << 20];
        int n = 0;
        while (System.nanoTime() < end && n < latencies.length) {
          List<Map<String, String>> orders = new ArrayList<>();
          for (int i = 0; i < batch; i++) {
            Map<String, String> order = new java.util.LinkedHashMap<>();
            order.put("symbol", "BTCUSDT");
            order.put("side", ids.get() % 2 == 0 ? "BUY" : "SELL");
            order.put("type", "MARKET");
            order.put("quantity", "0.00100");
            order.put("newClientOrderId", phase.charAt(0) + "-" + ids.incrementAndGet());
            orders.add(order);
          }
          long t0 = System.nanoTime();
          Response r = batch == 1 ? sim.place(orders.get(0))
              : sim.signed("POST", "/api/v3/batchOrders", Map.of("batchOrders", Json.MAPPER.writeValueAsString(orders)));
          if (r.status() != 200) throw new IllegalStateException(r.toString());
          latencies[n++] = System.nanoTime() - t0;
        }
        return Arrays.copyOf(latencies, n);
      }));
    }
    List<Long> all = new ArrayList<>();
    for (Future<long[]> f : results) for (long l : f.get()) all.add(l);
    double elapsed = (System.nanoTime() - started) / 1e9;
    pool.shutdown();
    all.sort(null);
    long calls = all.size();
    System.out.printf("venue-sim-load phase=%s clients=%d batch=%d calls=%d orders=%d seconds=%.1f orders_per_s=%.0f call_p50_ms=%.2f call_p99_ms=%.2f%n",
        phase, clients, batch, calls, calls * batch, elapsed, calls * batch / elapsed,
        all.get((int) (calls * 0.50)) / 1e6, all.get((int) Math.min(calls - 1, calls * 0.99)) / 1e6);
  }
}
