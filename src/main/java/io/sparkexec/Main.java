package io.sparkexec;

import com.typesafe.config.Config;
import io.sparkexec.http.HttpServer;
import io.sparkexec.journal.PostgresStore;
import io.sparkexec.metrics.Metrics;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Command line: {@code serve} (default), {@code venue-sim}, {@code bench}, ... Parses arguments,
 * runs the start checks and starts; the process's exit status says why it ended ({@link ExitCode}).
 */
public final class Main {

  private static final String USAGE = """
      usage: java -jar target/spark-executor.jar [command] [options]

      commands:
        serve   run the executor (default): HTTP API, LevelDB journal, simulated venue
        venue-sim
                run the venue simulator (Binance-style REST + user-data WebSocket) as its
                own process: SIM_PORT=8081 SIM_DATA_DIR=journal/venue-sim (docs/venue-sim.md)
        bench   open-loop load generator against a running executor (bench --help)
        chaos-drill
                steady load, venue chaos on, then off: orders lost, time back to SLO
                (chaos-drill --help, docs/chaos.md)
        export fills --out FILE [--from T] [--to T] [--format ndjson|csv]
                every fill in a time range from the journal of a STOPPED server
                (docs/snapshots.md); with the server running use the HTTP export
        ws-bench-server PORT EVENTS_FILE COUNT
                the feed alone, replaying order-event lines, for the WebSocket benchmark
                against a Node ws server (docs/bench/run-ws-bench.sh)
        feed-subscribers --url URL --run RUN [--connections N]
                N live orders-channel subscribers that check they got every order event
                of a load run (docs/bench/run-feed-bench.sh; feed-subscribers --help)
        index-bench [ORDERS]
                what the order index costs: claim of a new id, find of an old one, in a
                fresh index of ORDERS orders (default 1000000; docs/performance.md)
        risk-bench [SECONDS]
                what the risk guard costs per order with 0 / 100000 orders in the
                ledger and 0 / 5000 open, ACTIVE and REDUCING (docs/performance.md)
        migrate-journal --from DIR --to DIR
                copy a journal written by Pekko's built-in LevelDB plugin into a new
                group-commit journal directory (docs/journal.md)
        migrate-journal --orders --from DIR --to DIR [--index-dir DIR] [--progress-every N]
                upgrade a journal written by the per-order entities (Order|<id>) to the
                order desks (OrderDesk|<symbol>) in a new directory, and fill its order
                index (default DIR-index of --to); the server refuses an old journal
                (docs/operations.md, Upgrading to the order desks)

        migrate-db
                JOURNAL=postgres: create the journal's tables in the database of PG_URL
                (PG_USER, PG_PASSWORD); run again it changes nothing (docs/operations.md)

      options: --help (also after any command: its help, nothing started), --version

      configuration: the defaults are in the jar; conf/application.conf of the working directory
      (or $SPARK_CONF_DIR/application.conf) overrides them, and every setting has an environment
      override, e.g. HTTP_PORT=8080 JOURNAL_FSYNC=on. Relative paths (journal/, snapshots/) are
      resolved against SPARK_DATA_DIR (default: the working directory).
      exit status: 0 stopped as asked, 1 failed, 2 usage, 3 configuration, 4 HTTP port taken,
      5 cluster port taken, 6 journal locked by another executor, 7 journal unreadable,
      8 venue refused, 9 database unavailable (docs/operations.md, Exit codes)
      """;

  private Main() {}

  /**
   * With fewer than 3 cores the common pool's parallelism is 1, and CompletableFuture then runs
   * every async stage on a new thread. Pekko's ask futures (Scala's FutureConverters) run even
   * thenApply callbacks async, so on 2 cores each order started and ended a thread. Set before
   * the first use of ForkJoinPool; an explicit -D wins. (docs/performance.md)
   */
  private static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  // commands whose own parser prints a detailed --help (and starts nothing); every other command's help is its USAGE entry
  private static final List<String> OWN_HELP = List.of("bench", "chaos-drill", "feed-subscribers");
  // commands that take no options at all (their settings are environment variables)
  private static final List<String> NO_OPTIONS = List.of("serve", "venue-sim", "migrate-db");
  // commands whose arguments are positional: anything starting with "-" is an unknown option
  private static final List<String> POSITIONAL = List.of("ws-bench-server", "index-bench", "risk-bench");

  /** SIGTERM/SIGINT: a requested stop, so exit 0 once the coordinated shutdown is done. */
  private enum StopRequested implements CoordinatedShutdown.Reason {
    INSTANCE
  }

  public static void main(String[] args) throws Exception {
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null && Runtime.getRuntime().availableProcessors() < 3) {
      System.setProperty(COMMON_POOL_PARALLELISM, "2");
    }
    String command = args.length == 0 ? "serve" : args[0];
    String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
    if (command.startsWith("-") && !List.of("--help", "-h", "--version", "-V").contains(command)) usageError("unknown option " + command);
    if (!OWN_HELP.contains(command) && (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h"))) {
      String help = help(command);
      if (help == null) usageError("unknown command: " + command);
      System.out.print(help);
      return;
    }
    for (String arg : rest) {
      if (NO_OPTIONS.contains(command)) usageError(command + ": unknown option " + arg + " (" + command + " takes none; settings are environment variables)");
      if (POSITIONAL.contains(command) && arg.startsWith("-")) usageError(command + ": unknown option " + arg);
    }
    switch (command) {
      case "serve" -> serve();
      case "venue-sim" -> venueSim();
      case "bench" -> io.sparkexec.bench.Bench.main(rest);
      case "chaos-drill" -> io.sparkexec.bench.ChaosDrill.main(rest);
      case "ws-bench-server" -> io.sparkexec.bench.WsFeedBench.main(rest);
      case "feed-subscribers" -> io.sparkexec.bench.FeedSubscribers.main(rest);
      case "index-bench" -> io.sparkexec.order.OrderIndexBench.main(rest);
      case "risk-bench" -> io.sparkexec.risk.RiskBench.main(rest);
      case "migrate-journal" -> {
        useConfLogback();
        io.sparkexec.journal.JournalMigration.main(rest);
      }
      case "migrate-db" -> migrateDb();
      case "export" -> {
        useConfLogback();
        io.sparkexec.snapshot.ExportCommand.main(rest);
      }
      case "--help", "-h", "help" -> System.out.print(USAGE);
      case "--version", "-V", "version" -> System.out.println(version());
      default -> usageError("unknown command: " + command);
    }
  }

  private static void usageError(String problem) {
    System.err.print(problem + "\n\n" + USAGE);
    System.exit(ExitCode.USAGE.code);
  }

  /** The command's own lines of USAGE (from its name to the next command), or null for no such command. */
  static String help(String command) {
    String[] lines = USAGE.split("\n");
    StringBuilder out = new StringBuilder("usage: java -jar target/spark-executor.jar ").append(command).append(" [--help]\n\n");
    boolean in = false;
    for (String line : lines) {
      boolean commandLine = line.startsWith("  ") && !line.startsWith("   ");
      if (commandLine) in = line.trim().equals(command) || line.trim().startsWith(command + " ");
      else if (!line.startsWith("   ")) in = false;
      if (in) out.append(line).append('\n');
    }
    return out.indexOf("\n  ") < 0 ? null : out.append('\n').append(USAGE.substring(USAGE.indexOf("configuration:"))).toString();
  }

  /** "spark-executor VERSION (commit ABC)", from the resource the build writes (pom.xml, build-info). */
  static String version() {
    Properties build = new Properties();
    try (InputStream in = Main.class.getResourceAsStream("build.properties")) {
      if (in != null) build.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return "spark-executor " + build.getProperty("version", "unknown") + " (commit " + build.getProperty("commit", "unknown") + ")";
  }

  /** Before the first logger exists: conf/logback.xml of the conf directory when there is one, else the jar's copy. */
  private static void useConfLogback() {
    File logback = new File(AppConfig.confDir(), "logback.xml");
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", logback.isFile() ? logback.getPath() : "conf/logback.xml");
    }
  }

  private static Config config() {
    try {
      return AppConfig.load();
    } catch (AppConfig.Invalid e) {
      refuse(ExitCode.CONFIG, "config_invalid", e.getMessage());
      return null;
    }
  }

  private static void venueSim() {
    useConfLogback();
    io.sparkexec.venue.sim.VenueSimServer.start(config()).whenComplete((server, error) -> {
      // the failure is logged by the server; without a started system nothing else would end the JVM
      if (error != null) exit(ExitCode.FAILED);
      else stopOnSignal(server.system());
    });
  }

  private static void migrateDb() {
    useConfLogback();
    Config config = config();
    try {
      PostgresStore.migrate(PostgresStore.Settings.fromConfig(config.getConfig("spark")));
    } catch (PostgresStore.Unavailable e) {
      refuse(ExitCode.DATABASE_UNAVAILABLE, "database_unavailable", e.getMessage());
    }
    exit(ExitCode.OK); // flushes the asynchronous log appender, whose line says what was done
  }

  private static void serve() {
    useConfLogback();
    Config config = config();
    try {
      StartChecks.check(config);
    } catch (StartChecks.Refused e) {
      refuse(e.code, e.cause, e.getMessage());
    }
    Metrics.init(config);
    ActorSystem<Guardian.Command> system;
    try {
      system = ActorSystem.create(Guardian.create(config), "spark-executor", config);
    } catch (RuntimeException e) {
      // the start checks passed a moment ago: another process took the port since
      if (StartChecks.portTaken(e)) refuse(ExitCode.CLUSTER_PORT_TAKEN, "cluster_port_taken", e.getMessage() + " (CLUSTER_PORT)");
      throw e;
    }
    stopOnSignal(system);
    String journal = config.getString("pekko.persistence.journal.plugin");
    // where the journal is: its directory (LevelDB) or the database's URL (JOURNAL=postgres)
    String where = config.hasPath(journal + ".dir") ? config.getString(journal + ".dir") : config.getString("spark.postgres.url");
    LoggerFactory.getLogger(Main.class).info("event=starting system={} version=\"{}\" tradeMode={} venue={} journal={} journalAt={} fsync={}",
        system.name(), version(), config.getString("spark.trade-mode"), config.getString("spark.venue.kind"), journal, where,
        config.hasPath(journal + ".fsync") ? config.getBoolean(journal + ".fsync") : "database");
  }

  /**
   * SIGTERM and SIGINT run the coordinated shutdown as a requested stop instead of the JVM's exit
   * (which ends with 143); the process then exits with the code the shutdown's reason maps to.
   */
  private static void stopOnSignal(ActorSystem<?> system) {
    for (String name : List.of("TERM", "INT")) {
      try {
        Signal.handle(new Signal(name), signal -> {
          LoggerFactory.getLogger(Main.class).info("event=stop_requested signal={}", name);
          CoordinatedShutdown.get(system).run(StopRequested.INSTANCE);
        });
      } catch (IllegalArgumentException e) {
        LoggerFactory.getLogger(Main.class).warn("event=signal_not_handled signal={} error=\"{}\"", name, e.getMessage());
      }
    }
    system.getWhenTerminated().thenRun(() -> {
      ExitCode code = exitCode(CoordinatedShutdown.get(system).getShutdownReason());
      LoggerFactory.getLogger(Main.class).info("event=stopped exitCode={} reason={}", code.code,
          CoordinatedShutdown.get(system).getShutdownReason().map(r -> r.getClass().getSimpleName()).orElse("none"));
      // its own thread: inside a JVM shutdown (SIGHUP) System.exit blocks, and the JVM halts anyway once the hooks are done
      new Thread(() -> exit(code), "exit").start();
    });
  }

  static ExitCode exitCode(Optional<CoordinatedShutdown.Reason> reason) {
    if (reason.isEmpty()) return ExitCode.FAILED;
    CoordinatedShutdown.Reason r = reason.get();
    if (r == StopRequested.INSTANCE || r == CoordinatedShutdown.jvmExitReason()) return ExitCode.OK;
    if (r instanceof HttpServer.BindFailed) return ExitCode.HTTP_PORT_TAKEN;
    if (r instanceof Guardian.VenueRefused) return ExitCode.VENUE_REFUSED;
    return ExitCode.FAILED;
  }

  /** Before any actor starts: nothing to shut down, and the operator sees why at once. */
  private static void refuse(ExitCode code, String cause, String message) {
    System.err.println("refusing to start: " + message);
    LoggerFactory.getLogger(Main.class).error("event=start_refused cause={} exitCode={} reason=\"{}\"", cause, code.code, message);
    exit(code);
  }

  private static void exit(ExitCode code) {
    if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext logback) logback.stop();
    System.exit(code.code);
  }
}
