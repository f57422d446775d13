package io.sparkexec;

import com.typesafe.config.Config;
import io.sparkexec.journal.GroupCommitJournal;
import io.sparkexec.journal.JournalStore;
import io.sparkexec.metrics.Metrics;
import io.sparkexec.risk.TradeMode;
import java.io.File;
import java.io.IOException;
import java.util.Arrays;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.LoggerFactory;

/** Command line: {@code serve} (default), {@code venue-sim}, {@code bench}. Parses arguments and starts; nothing else. */
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

      configuration: conf/application.conf (or $SPARK_CONF_DIR); every setting has an
      environment override, e.g. HTTP_PORT=8080 JOURNAL_DIR=journal/executor JOURNAL_FSYNC=on
      """;

  private Main() {}

  /**
   * With fewer than 3 cores the common pool's parallelism is 1, and CompletableFuture then runs
   * every async stage on a new thread. Pekko's ask futures (Scala's FutureConverters) run even
   * thenApply callbacks async, so on 2 cores each order started and ended a thread. Set before
   * the first use of ForkJoinPool; an explicit -D wins. (docs/performance.md)
   */
  private static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  public static void main(String[] args) throws Exception {
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null && Runtime.getRuntime().availableProcessors() < 3) {
      System.setProperty(COMMON_POOL_PARALLELISM, "2");
    }
    String command = args.length == 0 ? "serve" : args[0];
    String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
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
      case "export" -> {
        useConfLogback();
        io.sparkexec.snapshot.ExportCommand.main(rest);
      }
      case "--help", "-h", "help" -> System.out.print(USAGE);
      default -> {
        System.err.print("unknown command: " + command + "\n\n" + USAGE);
        System.exit(2);
      }
    }
  }

  /** Before the first logger exists, so conf/logback.xml is the one used. */
  private static void useConfLogback() {
    File logback = new File(AppConfig.confDir(), "logback.xml");
    if (System.getProperty("logback.configurationFile") == null && logback.isFile()) {
      System.setProperty("logback.configurationFile", logback.getPath());
    }
  }

  private static void venueSim() {
    useConfLogback();
    io.sparkexec.venue.sim.VenueSimServer.start(AppConfig.load()).whenComplete((server, error) -> {
      // the failure is logged by the server; without a started system nothing else would end the JVM
      if (error != null) System.exit(1);
    });
  }

  private static void serve() {
    useConfLogback();
    Config config = AppConfig.load();
    try {
      TradeMode.check(config.getString("spark.trade-mode"), config.getBoolean("spark.live-enabled"), config.getString("spark.venue.kind"));
      String plugin = config.getString("pekko.persistence.journal.plugin");
      // an old or foreign journal (e.g. still holding the per-order entities' events) is refused here, with the command that upgrades it
      if (GroupCommitJournal.class.getName().equals(config.getString(plugin + ".class"))) {
        JournalStore.checkOpenable(new File(config.getString(plugin + ".dir")));
      }
    } catch (IllegalStateException | IOException e) {
      // before any actor starts: nothing to shut down, and the operator sees why at once
      System.err.println("refusing to start: " + e.getMessage());
      LoggerFactory.getLogger(Main.class).error("event=start_refused reason=\"{}\"", e.getMessage());
      if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext logback) logback.stop();
      System.exit(2);
    }
    Metrics.init(config);
    ActorSystem<Guardian.Command> system = ActorSystem.create(Guardian.create(config), "spark-executor", config);
    String journal = config.getString("pekko.persistence.journal.plugin");
    LoggerFactory.getLogger(Main.class).info("event=starting system={} tradeMode={} venue={} journal={} journalDir={} fsync={}",
        system.name(), config.getString("spark.trade-mode"), config.getString("spark.venue.kind"), journal,
        config.getString(journal + ".dir"), config.getBoolean(journal + ".fsync"));
  }
}
