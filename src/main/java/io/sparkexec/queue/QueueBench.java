package io.sparkexec.queue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.AppConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Queue benchmark, not a test: {@code java -Xmx512m -cp target/spark-executor.jar io.sparkexec.queue.QueueBench [seconds [rate]]},
 * or {@code ... QueueBench history [jobs [processed [runs]]]}. For fsync on and off, in one JVM, each on a fresh group-commit journal in a
 * temp directory. The default mode measures
 * <ol>
 *   <li>throughput: producers enqueue batches of {@value #BATCH} while consumers claim batches
 *       of {@value #BATCH} and ack each claim with one batch ack (closed loop, at most
 *       {@value #MAX_BACKLOG} jobs not yet acked); jobs/s = jobs acked / seconds;
 *   <li>lag under steady load: jobs enqueued at {@code rate}/s (every 5 ms, what is owed) and
 *       consumed as above; lag = claim time - enqueue time, per job.
 * </ol>
 * The history mode measures whether a queue's cost grows with the jobs it has processed:
 * throughput as above over a fresh queue's first {@code jobs} jobs (phase A), then, once that
 * queue has acked {@code processed} jobs, over its next {@code jobs} (phase B); {@code runs}
 * times, each on a fresh queue, after one such run as warm-up. Progress goes to stderr, the
 * markdown table to stdout. Defaults: 10 s, 2000 jobs/s; history 10000 jobs, 100000 processed,
 * 3 runs.
 */
public final class QueueBench {

  private static final int BATCH = 100;
  private static final int MAX_BACKLOG = 2_000;
  private static final int PRODUCERS = 2;
  private static final int CONSUMERS = 2;
  // a history phase ends by count; this only bounds a run that stalls
  private static final Duration MAX_PHASE = Duration.ofMinutes(5);

  private record Throughput(double jobsPerSecond, long jobs) {}

  /** {@code before}: jobs the queue had acked when phase B began. */
  private record Phases(Throughput a, long before, Throughput b) {}

  private record Lag(double offeredPerSecond, double ackedPerSecond, Histogram lagMicros) {}

  private QueueBench() {}

  /** One measurement on a fresh system; answers its table row. */
  private interface Measurement {
    String row(ActorSystem<?> system, boolean fsync) throws Exception;
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("history")) {
      history(args.length > 1 ? Integer.parseInt(args[1]) : 10_000, args.length > 2 ? Integer.parseInt(args[2]) : 100_000,
          args.length > 3 ? Integer.parseInt(args[3]) : 3);
    } else {
      steady(args.length > 0 ? Integer.parseInt(args[0]) : 10, args.length > 1 ? Integer.parseInt(args[1]) : 2000);
    }
    System.exit(0);
  }

  private static void steady(int seconds, int rate) throws Exception {
    List<String> rows = perFsync((system, fsync) -> {
      QueueService queue = queue(system, "bench-throughput");
      run(queue, system, Duration.ofSeconds(1), Long.MAX_VALUE); // warm-up
      Throughput t = run(queue, system, Duration.ofSeconds(seconds), Long.MAX_VALUE);
      System.err.printf("fsync=%s throughput: %.0f jobs/s%n", fsync, t.jobsPerSecond());
      Lag lag = lag(queue(system, "bench-lag"), system, seconds, rate);
      System.err.printf("fsync=%s lag at %d/s: p50 %.2f ms p99 %.2f ms%n", fsync, rate, lag.lagMicros().getValueAtPercentile(50) / 1000.0,
          lag.lagMicros().getValueAtPercentile(99) / 1000.0);
      return String.format("| %s | %,.0f | %,.0f / %,.0f | %.2f | %.2f | %.2f |", fsync ? "on" : "off", t.jobsPerSecond(),
          lag.offeredPerSecond(), lag.ackedPerSecond(), lag.lagMicros().getValueAtPercentile(50) / 1000.0,
          lag.lagMicros().getValueAtPercentile(99) / 1000.0, lag.lagMicros().getMaxValue() / 1000.0);
    });
    System.out.printf("%d s per run, batches of %d, %d producers, %d consumers; lag run offered %d jobs/s%n%n", seconds, BATCH, PRODUCERS,
        CONSUMERS, rate);
    System.out.println("| fsync | enqueue+claim+ack jobs/s | lag run: offered / acked jobs/s | lag p50 ms | lag p99 ms | lag max ms |");
    System.out.println("|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
  }

  private static void history(int jobs, int processed, int repetitions) throws Exception {
    List<String> rows = perFsync((system, fsync) -> {
      phases(system, "bench-warm-up", jobs, processed); // JIT and journal warm-up, not reported
      List<String> out = new ArrayList<>();
      double[] ratios = new double[repetitions];
      for (int r = 0; r < repetitions; r++) {
        Phases p = phases(system, "bench-history-" + r, jobs, processed);
        ratios[r] = p.b().jobsPerSecond() / p.a().jobsPerSecond();
        System.err.printf("fsync=%s run %d: A %.0f jobs/s, B (after %d jobs) %.0f jobs/s%n", fsync, r + 1, p.a().jobsPerSecond(), p.before(),
            p.b().jobsPerSecond());
        out.add(String.format("| %s | %d | %,d | %,.0f | %,d | %,d | %,.0f | %.2f |", fsync ? "on" : "off", r + 1, p.a().jobs(),
            p.a().jobsPerSecond(), p.before(), p.b().jobs(), p.b().jobsPerSecond(), ratios[r]));
      }
      Arrays.sort(ratios);
      out.add(String.format("| %s | median | | | | | | **%.2f** |", fsync ? "on" : "off", ratios[repetitions / 2]));
      return String.join("\n", out);
    });
    System.out.printf("phases of %d jobs, B after %d processed, %d runs on fresh queues after a warm-up run; batches of %d, %d producers, "
        + "%d consumers%n%n", jobs, processed, repetitions, BATCH, PRODUCERS, CONSUMERS);
    System.out.println("| fsync | run | A: jobs | A: jobs/s | processed before B | B: jobs | B: jobs/s | B / A |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
  }

  /** Phase A on a fresh queue's first {@code jobs} jobs, then on until {@code processed} are acked, then phase B. */
  private static Phases phases(ActorSystem<?> system, String name, int jobs, int processed) throws Exception {
    QueueService queue = queue(system, name);
    Throughput a = run(queue, system, MAX_PHASE, jobs);
    long before = a.jobs() + run(queue, system, MAX_PHASE, processed - a.jobs()).jobs();
    return new Phases(a, before, run(queue, system, MAX_PHASE, jobs));
  }

  /** The measurement once per fsync setting, each in its own system on a fresh journal. */
  private static List<String> perFsync(Measurement measurement) throws Exception {
    List<String> rows = new ArrayList<>();
    for (boolean fsync : new boolean[] {true, false}) {
      Path dir = Files.createTempDirectory("queue-bench-");
      ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "queue-bench", config(dir, fsync));
      try {
        rows.add(measurement.row(system, fsync));
      } finally {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    }
    return rows;
  }

  private static Config config(Path dir, boolean fsync) {
    return AppConfig.load(ConfigFactory.parseMap(Map.of("spark.journal.dir", dir.resolve("journal").toString(), "spark.journal.fsync", fsync,
        "pekko.persistence.snapshot-store.local.dir", dir.resolve("snapshots").toString(), "pekko.actor.provider", "local",
        "pekko.coordinated-shutdown.exit-jvm", "off", "pekko.loglevel", "WARNING")));
  }

  private static QueueService queue(ActorSystem<?> system, String name) {
    // the dedupe window at the default's size, as in production
    DurableQueue.Settings s = new DurableQueue.Settings(name, Duration.ofSeconds(30), Duration.ofHours(12), 5, 10_000, 1000, 1000, BATCH, 1_000_000,
        Duration.ofSeconds(5), 10_000, 100, Duration.ofSeconds(1),
        Duration.ofSeconds(10));
    return new QueueService(system, system.systemActorOf(DurableQueue.create(s, Clock.systemUTC()), name + "-" + System.nanoTime(),
        Props.empty()), s);
  }

  /**
   * Closed loop for {@code maxTime} or until {@code maxJobs} are acked, whichever comes first:
   * producers keep at most MAX_BACKLOG jobs unacked; consumers claim and batch-ack. Ends with an
   * empty queue, so the next run starts as this one did, without a backlog to speed it up.
   */
  private static Throughput run(QueueService queue, ActorSystem<?> system, Duration maxTime, long maxJobs) throws Exception {
    AtomicLong enqueued = new AtomicLong();
    AtomicLong acked = new AtomicLong();
    AtomicLong ids = new AtomicLong();
    String prefix = "t" + System.nanoTime() + "-";
    List<Loop> producers = new ArrayList<>();
    for (int p = 0; p < PRODUCERS; p++) {
      producers.add(loop(system, () -> {
        if (enqueued.get() - acked.get() >= MAX_BACKLOG) return pause(system);
        List<DurableQueue.NewJob> jobs = new ArrayList<>(BATCH);
        for (int i = 0; i < BATCH; i++) jobs.add(new DurableQueue.NewJob(prefix + ids.incrementAndGet(), "{\"s\":1}"));
        return queue.enqueue(jobs).thenApply(r -> (int) enqueued.addAndGet(BATCH));
      }));
    }
    CompletableFuture<Void> done = new CompletableFuture<Void>().completeOnTimeout(null, maxTime.toMillis(), TimeUnit.MILLISECONDS);
    // completed by a consumer once the producers have stopped and every job enqueued is acked (or after maxTime)
    CompletableFuture<Void> drained = new CompletableFuture<>();
    AtomicBoolean producing = new AtomicBoolean(true);
    long start = System.nanoTime();
    List<Loop> consumers = new ArrayList<>();
    for (int c = 0; c < CONSUMERS; c++) {
      consumers.add(loop(system, () -> consumeOnce(queue, system, acked, null).thenApply(n -> {
        if (acked.get() >= maxJobs) done.complete(null);
        if (!producing.get() && acked.get() >= enqueued.get()) drained.complete(null);
        return n;
      })));
    }
    done.join();
    long jobs = acked.get();
    double elapsed = (System.nanoTime() - start) / 1e9;
    producers.forEach(Loop::stop);
    producing.set(false);
    drained.completeOnTimeout(null, maxTime.toMillis(), TimeUnit.MILLISECONDS).join();
    consumers.forEach(Loop::stop);
    drain(queue);
    return new Throughput(jobs / elapsed, jobs);
  }

  /** The command's main thread waits out a measured run (the queue and the loops run on Pekko's dispatchers). */
  private static void measureFor(int seconds) {
    CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(seconds, java.util.concurrent.TimeUnit.SECONDS)).join();
  }

  /** Open loop: {@code rate} jobs/s offered on a 5 ms tick (what the clock says is owed), consumed as fast as possible. */
  private static Lag lag(QueueService queue, ActorSystem<?> system, int seconds, int rate) throws Exception {
    AtomicLong acked = new AtomicLong();
    AtomicLong offered = new AtomicLong();
    Histogram lag = new Histogram(3_600_000_000L, 3);
    String prefix = "l" + System.nanoTime() + "-";
    long began = System.nanoTime();
    // what is owed is computed from the clock, so late or dropped ticks do not lower the offered rate
    UniqueKillSwitch producer = Source.tick(Duration.ZERO, Duration.ofMillis(5), NotUsed.getInstance())
        .viaMat(KillSwitches.single(), Keep.right())
        .mapAsync(1, t -> {
          int n = (int) Math.min(500, (long) (rate * ((System.nanoTime() - began) / 1e9)) - offered.get());
          if (n <= 0) return CompletableFuture.completedFuture(0);
          List<DurableQueue.NewJob> jobs = new ArrayList<>(n);
          for (int i = 0; i < n; i++) jobs.add(new DurableQueue.NewJob(prefix + offered.incrementAndGet(), "{\"s\":1}"));
          return queue.enqueue(jobs).thenApply(r -> n);
        })
        .toMat(Sink.ignore(), Keep.left())
        .run(system);
    long start = System.nanoTime();
    List<Loop> consumers = new ArrayList<>();
    for (int c = 0; c < CONSUMERS; c++) consumers.add(loop(system, () -> consumeOnce(queue, system, acked, lag)));
    measureFor(seconds);
    double elapsed = (System.nanoTime() - start) / 1e9;
    long offeredJobs = offered.get();
    long ackedJobs = acked.get();
    producer.shutdown();
    consumers.forEach(Loop::stop);
    drain(queue);
    return new Lag(offeredJobs / elapsed, ackedJobs / elapsed, lag);
  }

  /** One claim of up to BATCH jobs and one batch ack of them; waits a little when the queue is empty. */
  private static CompletionStage<Integer> consumeOnce(QueueService queue, ActorSystem<?> system, AtomicLong acked, Histogram lag) {
    return queue.claim(BATCH, Duration.ofSeconds(30)).thenCompose(r -> {
      if (!(r instanceof QueueService.Answered a && a.reply() instanceof DurableQueue.Claimed c) || c.jobs().isEmpty()) return pause(system);
      Instant now = Instant.now();
      if (lag != null) {
        for (DurableQueue.ClaimedJob j : c.jobs()) lag.recordValue(Math.max(0, Duration.between(j.enqueuedAt(), now).toNanos() / 1000));
      }
      List<DurableQueue.Acknowledgement> acks = c.jobs().stream().map(j -> new DurableQueue.Acknowledgement(j.jobId(), j.claimToken())).toList();
      return queue.ack(acks).thenApply(x -> (int) acked.addAndGet(acks.size()));
    });
  }

  /** A running loop; {@code stopped} completes once the step in progress at the stop has finished. */
  private record Loop(UniqueKillSwitch killSwitch, CompletionStage<Done> stopped) {
    void stop() {
      killSwitch.shutdown();
      stopped.toCompletableFuture().join();
    }
  }

  private static Loop loop(ActorSystem<?> system, java.util.function.Supplier<CompletionStage<Integer>> step) {
    return Source.repeat(NotUsed.getInstance())
        .viaMat(KillSwitches.single(), Keep.right())
        .mapAsync(1, x -> step.get())
        .toMat(Sink.ignore(), Keep.both())
        .mapMaterializedValue(m -> {
          m.second().whenComplete((done, error) -> {
            // the system's termination ends the loops abruptly: only other failures are news
            if (error != null && !(error instanceof org.apache.pekko.stream.AbruptStageTerminationException)) {
              System.err.println("bench loop failed: " + error);
            }
          });
          return new Loop(m.first(), m.second());
        })
        .run(system);
  }

  /** Completes with 0 (never null: a step's value must not be null, or mapAsync drops it and the loop can stall). */
  private static CompletionStage<Integer> pause(ActorSystem<?> system) {
    return Patterns.after(Duration.ofMillis(1), system.classicSystem().scheduler(), system.executionContext(),
        () -> CompletableFuture.completedFuture(0));
  }

  /** Lets in-flight asks finish before the next run starts. */
  private static void drain(QueueService queue) throws Exception {
    queue.stats().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
