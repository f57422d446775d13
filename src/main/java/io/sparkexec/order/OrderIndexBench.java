package io.sparkexec.order;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.AppConfig;
import io.sparkexec.venue.OrderSpec;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import java.io.File;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;

/**
 * {@code index-bench [ORDERS]}: what the order index costs on the hot path. Fills a fresh index
 * (temp dir) with ORDERS final orders (default 1,000,000) through the index's own writer, then
 * times, single-threaded, the claim of a new id (what every new order pays: a LevelDB miss) and
 * the find of a random existing id (GET of an old order, a repeat of an old id). A benchmark,
 * not a test; figures in docs/performance.md.
 */
public final class OrderIndexBench {

  private static final int SAMPLES = 200_000;

  private OrderIndexBench() {}

  public static void main(String[] args) throws Exception {
    int orders = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "index-bench", AppConfig.load(ConfigFactory.parseString(
        "pekko.actor.provider = local\npekko.loglevel = WARNING\npekko.coordinated-shutdown.exit-jvm = off")));
    ObjectMapper cbor = JacksonObjectMapperProvider.get(system).getOrCreate("jackson-cbor", Optional.of(new CBORFactory()));
    File dir = Files.createTempDirectory("index-bench").toFile();
    try (OrderIndex index = OrderIndex.open(dir, cbor)) {
      long started = System.nanoTime();
      for (int i = 0; i < orders; i++) {
        index.written(order("old-" + i));
        if ((i + 1) % 100_000 == 0) System.err.printf("index-bench: %d orders written%n", i + 1);
        // let the writer keep up, so memory stays flat (the server's desks never write this fast)
        while (i % 10_000 == 0 && index.isPending("old-" + i)) Thread.onSpinWait();
      }
      while (index.isPending("old-" + (orders - 1))) Thread.onSpinWait();
      System.err.printf("index-bench: filled with %d orders in %d ms (%s)%n", orders, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
          dir);
      Histogram claims = new Histogram(3);
      Histogram finds = new Histogram(3);
      SplittableRandom random = new SplittableRandom(7);
      for (int round = 0; round < 2; round++) {
        // the first round warms the JIT and LevelDB's caches; the second is reported
        claims.reset();
        finds.reset();
        for (int i = 0; i < SAMPLES; i++) {
          // a new id that sorts among the stored ones, so LevelDB must look into its tables (a miss outside every
          // table's key range would cost nothing and flatter the figure)
          Order fresh = order("old-" + random.nextInt(orders) + "-new-" + round + "-" + i);
          long t0 = System.nanoTime();
          Order existing = index.claim(fresh);
          long t1 = System.nanoTime();
          if (existing != null) throw new IllegalStateException("a new id was taken: " + existing.clientOrderId());
          index.release(fresh);
          String old = "old-" + random.nextInt(orders);
          long t2 = System.nanoTime();
          if (index.find(old).isEmpty()) throw new IllegalStateException("missing " + old);
          long t3 = System.nanoTime();
          claims.recordValue(t1 - t0);
          finds.recordValue(t3 - t2);
        }
      }
      System.out.printf("index-bench-summary orders=%d claim_new_us_p50=%.1f p99=%.1f mean=%.1f find_old_us_p50=%.1f p99=%.1f mean=%.1f%n", orders,
          claims.getValueAtPercentile(50) / 1e3, claims.getValueAtPercentile(99) / 1e3, claims.getMean() / 1e3,
          finds.getValueAtPercentile(50) / 1e3, finds.getValueAtPercentile(99) / 1e3, finds.getMean() / 1e3);
    } finally {
      system.terminate();
      try (Stream<java.nio.file.Path> files = Files.walk(dir.toPath())) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        System.err.println("index-bench: could not remove " + dir + ": " + e.getMessage());
      }
    }
  }

  private static Order order(String id) {
    Instant t = Instant.parse("2026-12-01T10:00:00Z");
    Order accepted = Order.accepted(new OrderDesk.OrderAccepted(id,
        new OrderSpec("BTCUSDT", Side.BUY, OrderType.MARKET, TimeInForce.IOC, new BigDecimal("0.001"), null, "bench"),
        new BigDecimal("65000.01"), t, t));
    return accepted.apply(new OrderDesk.OrderRejected(id, accepted.strategy(), "bench", "venue", t));
  }
}
