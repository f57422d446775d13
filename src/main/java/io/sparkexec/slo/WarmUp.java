package io.sparkexec.slo;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The warm-up: dry canary orders over real loopback HTTP until the JIT has compiled the hot path
 * (HTTP parsing, JSON, guards, the entity, the journal, the batcher, the venue), so the first real
 * order after ready is not the slow one. Half its orders are the canary's expiring ones, half
 * marketable pairs of the same size (the fill path; the canary strategy's position ends flat). It ends after {@code orders} orders or {@code maxTime},
 * whichever comes first, and stops early on a refusal that retrying would not heal (a halted
 * trading state, a bad canary symbol). It never fails: a warm JIT is speed, not correctness, so
 * the executor becomes ready either way and the log says what happened.
 */
public final class WarmUp {

  private static final Logger log = LoggerFactory.getLogger(WarmUp.class);
  // the mean of this many last answers shows how warm the path got
  private static final int TAIL = 100;

  public record Settings(boolean enabled, int orders, Duration maxTime, int concurrency) {
    public static Settings fromConfig(Config warmUp) {
      return new Settings(warmUp.getBoolean("enabled"), warmUp.getInt("orders"), Duration.ofSeconds(warmUp.getLong("max-sec")),
          Math.max(1, warmUp.getInt("concurrency")));
    }
  }

  /** What the warm-up did; {@code stoppedBy}: orders, time, or the refusal that stopped it. */
  public record Result(int ok, int errors, long elapsedMs, double firstMs, double tailMeanMs, String stoppedBy) {
    public String detail() {
      return "warmed up with " + ok + " canary orders (" + errors + " errors) in " + elapsedMs + " ms; stopped by " + stoppedBy;
    }
  }

  /** Progress for the readiness gate's detail. */
  public interface Progress {
    void update(String detail);
  }

  private final Canary canary;
  private final Settings settings;
  private final String path;
  private final Progress progress;
  private final AtomicInteger started = new AtomicInteger();
  private final AtomicInteger ok = new AtomicInteger();
  private final AtomicInteger errors = new AtomicInteger();
  private final List<Double> totals = new ArrayList<>();
  private volatile String stoppedBy;
  private long startNanos;
  private long deadlineNanos;

  private WarmUp(Canary canary, Settings settings, String path, Progress progress) {
    this.canary = canary;
    this.settings = settings;
    this.path = path;
    this.progress = progress;
  }

  /** Runs the warm-up through the dry canary's path; completes when it is over. */
  public static CompletionStage<Result> run(Canary canary, Settings settings, Canary.Plan dryPlan, Progress progress) {
    return new WarmUp(canary, settings, dryPlan.path(), progress).start();
  }

  private CompletionStage<Result> start() {
    log.info("event=warm_up_started orders={} maxSec={} concurrency={} path={}", settings.orders(), settings.maxTime().toSeconds(),
        settings.concurrency(), path);
    progress.update("warming up: 0 of " + settings.orders() + " canary orders");
    startNanos = System.nanoTime();
    deadlineNanos = startNanos + settings.maxTime().toNanos();
    CompletableFuture<?>[] workers = new CompletableFuture<?>[settings.concurrency()];
    for (int i = 0; i < workers.length; i++) workers[i] = next().toCompletableFuture();
    return CompletableFuture.allOf(workers).thenApply(v -> finish());
  }

  /** One worker: an order, then the next, until the count, the time or a refusal ends it. */
  private CompletionStage<Void> next() {
    if (stoppedBy != null) return CompletableFuture.completedFuture(null);
    if (System.nanoTime() > deadlineNanos) {
      stoppedBy = "time";
      return CompletableFuture.completedFuture(null);
    }
    int n = started.getAndIncrement();
    if (n >= settings.orders()) {
      stoppedBy = "orders";
      return CompletableFuture.completedFuture(null);
    }
    // thenComposeAsync: a run of instant failures must not recurse on one stack
    return canary.send(path, shape(n)).thenComposeAsync(r -> {
      answered(r);
      return next();
    });
  }

  /** Half the canary's expiring orders, half marketable pairs (buy, then sell the same size): the fill path warms too. */
  static Canary.Shape shape(int n) {
    return switch (n % 4) {
      case 0 -> Canary.Shape.MARKET_BUY;
      case 2 -> Canary.Shape.MARKET_SELL;
      default -> Canary.Shape.EXPIRING;
    };
  }

  private void answered(Canary.OrderRun r) {
    if (r.ok()) {
      int n = ok.incrementAndGet();
      synchronized (totals) {
        totals.add(r.phasesMs().get("total"));
      }
      if (n % Math.max(1, settings.orders() / 10) == 0) {
        String detail = "warming up: " + n + " of " + settings.orders() + " canary orders";
        progress.update(detail);
        log.info("event=warm_up_progress ok={} errors={} elapsedMs={}", n, errors.get(), (System.nanoTime() - startNanos) / 1_000_000);
      }
      return;
    }
    errors.incrementAndGet();
    // 429 (rate) and 5xx or transport errors may heal; any other refusal will not
    boolean sent = r.httpStatus() != 0 || r.phasesMs().containsKey("total");
    boolean lasting = !sent || (r.httpStatus() >= 400 && r.httpStatus() < 500 && r.httpStatus() != 429);
    if (lasting && stoppedBy == null) stoppedBy = "refusal: " + r.error();
    log.debug("event=warm_up_order_failed clientOrderId={} error=\"{}\"", r.clientOrderId(), r.error());
  }

  private Result finish() {
    double first;
    double tail;
    synchronized (totals) {
      first = totals.isEmpty() ? 0 : totals.get(0);
      List<Double> last = totals.subList(Math.max(0, totals.size() - TAIL), totals.size());
      tail = last.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    }
    Result result = new Result(ok.get(), errors.get(), (System.nanoTime() - startNanos) / 1_000_000, first, Math.round(tail * 1000) / 1000.0,
        stoppedBy);
    if (result.ok() == 0 || result.stoppedBy().startsWith("refusal")) {
      log.warn("event=warm_up_done ok={} errors={} elapsedMs={} stoppedBy=\"{}\" message=\"ready without a full warm-up\"", result.ok(),
          result.errors(), result.elapsedMs(), result.stoppedBy());
    } else {
      log.info("event=warm_up_done ok={} errors={} elapsedMs={} firstOrderMs={} last{}MeanMs={} stoppedBy={}", result.ok(), result.errors(),
          result.elapsedMs(), result.firstMs(), TAIL, result.tailMeanMs(), result.stoppedBy());
    }
    return result;
  }
}
