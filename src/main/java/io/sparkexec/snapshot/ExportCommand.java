package io.sparkexec.snapshot;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.AppConfig;
import io.sparkexec.journal.JournalStore;
import io.sparkexec.order.OrderIndex;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.IOResult;
import org.apache.pekko.stream.javadsl.FileIO;

/**
 * {@code export fills --from .. --to .. --format ndjson|csv [--out FILE]}: the HTTP export, offline,
 * on the journal directory of a stopped server (LevelDB allows one process per directory: a
 * running server's lock is detected and the command refuses, pointing at the HTTP export).
 * Progress goes to stderr every few seconds; rows go to FILE.
 */
public final class ExportCommand {

  static final String USAGE = "usage: export fills --out FILE [--from ISO|DATE] [--to ISO|DATE] [--format ndjson|csv]\n"
      + "  reads the journal at JOURNAL_DIR (default journal/executor) of a STOPPED server; with the server running use\n"
      + "  GET /api/private/export/fills instead\n";
  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(2);

  private ExportCommand() {}

  public static void main(String[] args) throws Exception {
    System.exit(run(args, ConfigFactory.empty()));
  }

  /** {@code overrides}: tests point it at their journal. */
  static int run(String[] args, Config overrides) throws Exception {
    if (args.length == 0 || !args[0].equals("fills")) {
      System.err.print((args.length == 0 ? "" : "unknown export " + args[0] + "\n") + USAGE);
      return 2;
    }
    Map<String, String> opts = new HashMap<>();
    for (int i = 1; i < args.length; i += 2) {
      String problem = !args[i].matches("--(from|to|format|out)") ? "unknown option " + args[i]
          : i + 1 >= args.length ? args[i] + " needs a value" : null;
      if (problem != null) {
        System.err.print(problem + "\n" + USAGE);
        return 2;
      }
      opts.put(args[i], args[i + 1]);
    }
    if (opts.get("--out") == null) {
      System.err.print("--out is required\n" + USAGE);
      return 2;
    }
    ExportRoutes.Query q = ExportRoutes.Query.parse(opts.get("--from"), opts.get("--to"), opts.get("--format"), Instant.now());
    if (q.rejection() != null) {
      System.err.println("--" + q.rejection().field() + ": " + q.rejection().message());
      return 2;
    }
    // local provider: no cluster, no remoting port; only the journal plugins and serialization are needed.
    // The command exits by itself: terminating its system must not exit the JVM
    Config config = AppConfig.load(overrides.withFallback(ConfigFactory.parseString(
        "pekko.actor.provider = local\npekko.loglevel = WARNING\npekko.coordinated-shutdown.exit-jvm = off")));
    File dir = new File(config.getString("spark.journal.dir"));
    String problem = journalProblem(dir);
    if (problem != null) {
      System.err.println("export: " + problem);
      return 1;
    }
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "spark-export", config);
    OrderIndex index = OrderIndex.get(system);
    AtomicLong events = new AtomicLong();
    AtomicLong rows = new AtomicLong();
    long started = System.nanoTime();
    Cancellable progress = system.scheduler().scheduleAtFixedRate(PROGRESS_EVERY, PROGRESS_EVERY,
        () -> System.err.printf("export: %d events read, %d fills written, %d s%n", events.get(), rows.get(),
            TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started)), system.executionContext());
    try {
      FillExport export = new FillExport(system, config.getString("spark.orders.read-journal"), config.getString("spark.queue.name"),
          id -> CompletableFuture.completedFuture(index.find(id))).withProgress(events::incrementAndGet);
      var bytes = FillExport.encode(export.rows(q.from(), q.to()).map(r -> {
        rows.incrementAndGet();
        return r;
      }), q.format());
      String out = opts.get("--out");
      IOResult result = bytes.runWith(FileIO.toPath(Path.of(out), java.util.Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE,
          StandardOpenOption.TRUNCATE_EXISTING)), system).toCompletableFuture().get();
      System.err.printf("export: done: %d events read, %d fills, %d bytes to %s in %d ms%n", events.get(), rows.get(), result.count(), out,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
      return 0;
    } finally {
      progress.cancel();
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /** Null when the directory holds a journal no process has open. */
  static String journalProblem(File dir) throws IOException {
    if (!new File(dir, "CURRENT").isFile()) return "no journal in " + dir.getAbsolutePath() + " (set JOURNAL_DIR)";
    if (!JournalStore.lockedByAnotherProcess(dir)) return null;
    return "the journal in " + dir.getAbsolutePath() + " is locked by a running server (LevelDB allows one process per journal): "
        + "stop it first, or export over HTTP: GET /api/private/export/fills";
  }
}
