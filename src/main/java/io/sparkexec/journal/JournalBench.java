package io.sparkexec.journal;

import com.typesafe.config.ConfigFactory;
import io.sparkexec.AppConfig;
import io.sparkexec.CborSerializable;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.persistence.AbstractPersistentActor;
import org.apache.pekko.persistence.RecoveryCompleted;
import org.apache.pekko.persistence.journal.Tagged;
import org.apache.pekko.persistence.query.NoOffset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.fusesource.leveldbjni.JniDBFactory;
import org.iq80.leveldb.DB;
import org.iq80.leveldb.Options;
import org.iq80.leveldb.WriteBatch;
import org.iq80.leveldb.WriteOptions;

/**
 * Journal benchmark, not a test: {@code java -cp target/spark-executor.jar io.sparkexec.journal.JournalBench [seconds [repetitions]]}.
 * In one run on one machine: raw leveldbjni synced WriteBatch throughput (batch 1, 8, 64), then
 * Pekko's built-in LevelDB journal and ours, fsync on and off, for one entity persisting
 * sequentially, 100 entities at once, and one entity persisting 8 events per persistAll. Entities
 * are classic persistent actors that persist again as soon as the previous persist completes
 * (closed loop, no ask); latency is persist call to handler. Each run lasts {@code seconds}
 * after a 1 s warm-up; everything is repeated {@code repetitions} times (args: seconds,
 * repetitions, and {@code live} to run only the raw and live-query runs; default 5 and 3).
 * {@code JournalBench 0 0 startup} instead measures opening journals of 0, 20k and 200k ids. Progress goes to stderr, the markdown table of medians to stdout.
 */
public final class JournalBench {

  /** ~40 bytes of CBOR, serialized like the product's events. */
  public record BenchEvent(long n, String note) implements CborSerializable {}

  private static final String TAG = "bench";
  /** When each tagged event's persist was confirmed ("pid/seqNr" -> nanoTime), for delivery lag. */
  private static final Map<String, Long> CONFIRMED_AT = new ConcurrentHashMap<>();

  private record Run(String name, int entities, int perPersist) {}

  private static final List<Run> RUNS = List.of(new Run("1 entity sequential", 1, 1), new Run("100 entities concurrent", 100, 1),
      new Run("1 entity persistAll x8", 1, 8));

  private JournalBench() {}

  public static void main(String[] args) throws Exception {
    File logback = new File(AppConfig.confDir(), "logback.xml");
    if (System.getProperty("logback.configurationFile") == null && logback.isFile()) {
      System.setProperty("logback.configurationFile", logback.getPath());
    }
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int repetitions = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    boolean liveOnly = args.length > 2 && args[2].equals("live");
    Path root = Files.createTempDirectory("journal-bench");
    if (args.length > 2 && args[2].equals("startup")) {
      try {
        for (int ids : new int[] {0, 20_000, 200_000}) startup(root.resolve("startup-" + ids), ids);
      } finally {
        deleteRecursively(root);
      }
      System.exit(0);
    }
    try {
      // repetitions interleave built-in and ours, so both see the same background load
      for (int rep = 1; rep <= repetitions; rep++) {
        for (int batch : new int[] {1, 8, 64}) rawLeveldb(root.resolve(rep + "-raw-" + batch), batch, seconds);
        for (boolean fsync : liveOnly ? new boolean[0] : new boolean[] {true, false}) {
          for (Run run : RUNS) {
            for (String plugin : new String[] {"pekko.persistence.journal.leveldb", "spark.journal"}) {
              journal(root.resolve(rep + "-" + plugin + "-" + fsync + "-" + run.entities() + "-" + run.perPersist()), plugin, fsync, run, seconds);
            }
          }
        }
        for (Run run : List.of(RUNS.get(0), RUNS.get(1))) liveDelivery(root.resolve(rep + "-live-" + run.entities()), run, seconds);
        System.err.println("bench: repetition " + rep + " of " + repetitions + " done");
      }
    } finally {
      deleteRecursively(root);
    }
    System.out.println("| what | fsync | scenario | events/s median (min-max) | p50 ms median | p99 ms median (min-max) |");
    System.out.println("|---|---|---|---|---|---|");
    results.forEach((key, rs) -> System.out.printf("| %s | %,.0f (%,.0f-%,.0f) | %.3f | %.3f (%.3f-%.3f) |%n", key,
        median(rs, Result::perSecond), min(rs, Result::perSecond), max(rs, Result::perSecond), median(rs, Result::p50),
        median(rs, Result::p99), min(rs, Result::p99), max(rs, Result::p99)));
    System.exit(0);
  }

  private record Result(double perSecond, double p50, double p99) {}

  private static final Map<String, List<Result>> results = new LinkedHashMap<>();

  private static double median(List<Result> rs, ToDoubleFunction<Result> f) {
    double[] values = rs.stream().mapToDouble(f).sorted().toArray();
    return values[values.length / 2];
  }

  private static double min(List<Result> rs, ToDoubleFunction<Result> f) {
    return rs.stream().mapToDouble(f).min().orElse(0);
  }

  private static double max(List<Result> rs, ToDoubleFunction<Result> f) {
    return rs.stream().mapToDouble(f).max().orElse(0);
  }

  /**
   * Opening a journal that holds {@code ids} persistence ids (one event each): how long the open
   * takes and how much heap it keeps, to show neither grows with the number of ids.
   */
  private static void startup(Path dir, int ids) throws Exception {
    JournalStore.Settings settings = new JournalStore.Settings(dir.toFile(), false, 1024, 65536, 0);
    byte[] value = new StoredEvent("", 1, 1, "", "", "bench", 0, new byte[40]).encodeValue();
    try (JournalStore store = JournalStore.open(settings)) {
      for (int from = 0; from < ids; from += 1000) {
        List<JournalStore.AtomicAppend> writes = new ArrayList<>();
        for (int i = from; i < Math.min(ids, from + 1000); i++) {
          writes.add(new JournalStore.AtomicAppend("startup-" + i, List.of(new JournalStore.NewEvent(1, value, Set.of()))));
        }
        store.append(writes).get();
      }
    }
    long heapBefore = usedHeapAfterGc();
    long t0 = System.nanoTime();
    try (JournalStore store = JournalStore.open(settings)) {
      store.highestSequenceNr("startup-" + (ids / 2));
      double openMs = (System.nanoTime() - t0) / 1e6;
      long heapKept = usedHeapAfterGc() - heapBefore;
      System.out.printf("| %,d | %.1f | %,d |%n", ids, openMs, heapKept / 1024);
    }
  }

  private static long usedHeapAfterGc() {
    System.gc();
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }

  private static void rawLeveldb(Path dir, int batch, int seconds) throws IOException {
    byte[] value = new byte[100];
    Histogram latency = new Histogram(3);
    try (DB db = JniDBFactory.factory.open(dir.toFile(), new Options().createIfMissing(true))) {
      WriteOptions sync = new WriteOptions().sync(true);
      long events = 0;
      long key = 0;
      long start = System.nanoTime();
      long end = start + TimeUnit.SECONDS.toNanos(seconds);
      while (System.nanoTime() < end) {
        long t0 = System.nanoTime();
        try (WriteBatch wb = db.createWriteBatch()) {
          for (int i = 0; i < batch; i++) wb.put(Keys.event(1, ++key), value);
          db.write(wb, sync);
        }
        latency.recordValue(System.nanoTime() - t0);
        events += batch;
      }
      report("raw leveldbjni WriteBatch of " + batch, true, "one thread", events / secondsSince(start), latency);
    }
  }

  private static void journal(Path dir, String plugin, boolean fsync, Run run, int seconds) throws Exception {
    // the built-in journal creates its directory but not the parents
    Files.createDirectories(dir);
    ActorSystem system = system(dir, plugin, fsync);
    try {
      phase(system, run, 1, "warm-up", null, new ConcurrentHistogram(3));
      Histogram latency = new ConcurrentHistogram(3);
      LongAdder events = new LongAdder();
      long start = System.nanoTime();
      await(start(system, run, seconds, "measured", null, latency, events), seconds);
      String name = plugin.equals("spark.journal") ? "ours (group commit)" : "built-in LevelDB";
      report(name, fsync, run.name(), events.sum() / secondsSince(start), latency);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Live eventsByTag on our journal (fsync on) while entities write tagged events: persist call
   * to confirmation, and how long after its confirmation each event reached the live query (0 when
   * the query had it first: the writer notifies queries before it completes the writes).
   */
  private static void liveDelivery(Path dir, Run run, int seconds) throws Exception {
    ActorSystem system = system(dir, "spark.journal", true);
    try {
      GroupCommitReadJournal queries = PersistenceQuery.get(system).getReadJournalFor(GroupCommitReadJournal.class, GroupCommitReadJournal.IDENTIFIER);
      Histogram delivered = new ConcurrentHistogram(3);
      queries.eventsByTag(TAG, NoOffset.getInstance()).runForeach(env -> {
        Long confirmedAt = CONFIRMED_AT.get(env.persistenceId() + "/" + env.sequenceNr());
        delivered.recordValue(confirmedAt == null ? 0 : Math.max(0, System.nanoTime() - confirmedAt));
      }, system);
      phase(system, run, 1, "warm-up", TAG, new ConcurrentHistogram(3));
      delivered.reset();
      Histogram confirmed = new ConcurrentHistogram(3);
      LongAdder events = new LongAdder();
      long start = System.nanoTime();
      await(start(system, run, seconds, "measured", TAG, confirmed, events), seconds);
      double perSecond = events.sum() / secondsSince(start);
      report("ours, tagged: persist call -> confirmed", true, run.name(), perSecond, confirmed);
      report("ours, tagged: confirmed -> live eventsByTag delivery", true, run.name(), perSecond, delivered);
    } finally {
      CONFIRMED_AT.clear();
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static ActorSystem system(Path dir, String plugin, boolean fsync) {
    return ActorSystem.create("bench", AppConfig.load(ConfigFactory.parseString("""
        pekko.actor.provider = local
        pekko.loglevel = WARNING
        pekko.coordinated-shutdown.exit-jvm = off
        pekko.persistence.journal.plugin = "%s"
        pekko.persistence.journal.leveldb.dir = "%s"
        pekko.persistence.journal.leveldb.fsync = %s
        spark.journal.dir = "%s"
        spark.journal.fsync = %s
        """.formatted(plugin, dir.resolve("builtin"), fsync, dir.resolve("ours"), fsync))));
  }

  private static void phase(ActorSystem system, Run run, int seconds, String phase, String tag, Histogram latency) throws Exception {
    await(start(system, run, seconds, phase, tag, latency, new LongAdder()), seconds);
  }

  /** A run that does not finish well after its deadline has failed (the log says why). */
  private static void await(List<CompletableFuture<Void>> done, int seconds) throws Exception {
    CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(seconds + 60L, TimeUnit.SECONDS);
  }

  private static List<CompletableFuture<Void>> start(ActorSystem system, Run run, int seconds, String phase, String tag, Histogram latency,
      LongAdder events) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    List<CompletableFuture<Void>> done = new ArrayList<>();
    for (int i = 0; i < run.entities(); i++) {
      CompletableFuture<Void> finished = new CompletableFuture<>();
      done.add(finished);
      String id = phase + "-" + i;
      system.actorOf(Props.create(Entity.class, () -> new Entity(id, run.perPersist(), tag, deadline, latency, events, finished)));
    }
    return done;
  }

  private static double secondsSince(long start) {
    return (System.nanoTime() - start) / 1e9;
  }

  private static void report(String what, boolean fsync, String scenario, double perSecond, Histogram latency) {
    String key = what + " | " + (fsync ? "on" : "off") + " | " + scenario;
    Result r = new Result(perSecond, latency.getValueAtPercentile(50) / 1e6, latency.getValueAtPercentile(99) / 1e6);
    System.err.printf("bench: %s: %,.0f events/s p50 %.3f ms p99 %.3f ms%n", key, r.perSecond(), r.p50(), r.p99());
    results.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
  }

  private static void deleteRecursively(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** Persists again as soon as the previous persist is done, until the deadline. */
  static final class Entity extends AbstractPersistentActor {
    private final String id;
    private final int perPersist;
    private final String tag;
    private final long deadline;
    private final Histogram latency;
    private final LongAdder events;
    private final CompletableFuture<Void> finished;
    private long n;

    Entity(String id, int perPersist, String tag, long deadline, Histogram latency, LongAdder events, CompletableFuture<Void> finished) {
      this.id = id;
      this.perPersist = perPersist;
      this.tag = tag;
      this.deadline = deadline;
      this.latency = latency;
      this.events = events;
      this.finished = finished;
    }

    @Override
    public String persistenceId() {
      return "bench-" + id;
    }

    @Override
    public Receive createReceiveRecover() {
      return receiveBuilder().match(RecoveryCompleted.class, r -> next()).build();
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder().build();
    }

    private void next() {
      if (System.nanoTime() >= deadline) {
        finished.complete(null);
        getContext().stop(getSelf());
        return;
      }
      long t0 = System.nanoTime();
      List<Object> batch = new ArrayList<>(perPersist);
      for (int i = 0; i < perPersist; i++) {
        BenchEvent event = new BenchEvent(++n, "order accepted BTCUSDT");
        batch.add(tag == null ? event : new Tagged(event, Set.of(tag)));
      }
      int[] left = {perPersist};
      persistAll(batch, e -> {
        if (tag != null) CONFIRMED_AT.put(persistenceId() + "/" + lastSequenceNr(), System.nanoTime());
        if (--left[0] > 0) return;
        latency.recordValue(System.nanoTime() - t0);
        events.add(perPersist);
        next();
      });
    }
  }
}
