package io.sparkexec.venue.sim;

import com.typesafe.config.Config;
import io.sparkexec.journal.JournalStore;
import io.sparkexec.venue.SimulatedVenue;
import io.sparkexec.venue.SymbolRule;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The venue simulator as a server: its own plain local ActorSystem, its ledger (replayed before
 * the port opens), the matching engine and the HTTP API. {@link #start} serves the
 * {@code venue-sim} command and tests alike (port 0 picks a free port; {@link #port} tells it).
 */
public final class VenueSimServer {

  private static final Logger log = LoggerFactory.getLogger(VenueSimServer.class);
  /** In-flight requests get this long after the port is unbound. */
  private static final Duration HARD_DEADLINE = Duration.ofSeconds(5);

  private final ActorSystem<Void> system;
  private final ServerBinding binding;

  private VenueSimServer(ActorSystem<Void> system, ServerBinding binding) {
    this.system = system;
    this.binding = binding;
  }

  /** {@code config}: the application config (spark.venue-sim, spark.venue); its pekko block is overridden by spark.venue-sim.pekko. */
  public static CompletionStage<VenueSimServer> start(Config config) {
    Config effective = config.getConfig("spark.venue-sim.pekko").atKey("pekko").withFallback(config);
    VenueSimSettings settings = VenueSimSettings.fromConfig(effective.getConfig("spark.venue-sim"));
    var rules = SymbolRule.fromConfig(effective.getConfig("spark.venue"));
    SimulatedVenue.Settings venueSettings = SimulatedVenue.Settings.fromConfig(effective.getConfig("spark.venue.sim"));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "venue-sim", effective);
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    Clock clock = Clock.systemUTC();
    JournalStore.Settings journal = new JournalStore.Settings(settings.dataDir(), settings.fsync(), settings.journalMaxBatch(), 1024, TimeUnit.MICROSECONDS.toNanos(50));
    History history = new History(settings.historyOrders(), settings.historyTrades());
    Account account = new Account(rules, settings.balances(), venueSettings.feeRate(), settings.maxOpenOrders());
    return CompletableFuture.supplyAsync(() -> SimLedger.open(journal, List.of(history, account)), blocking).thenCompose(ledger -> {
      SimulatedVenue venue = new SimulatedVenue(venueSettings, rules, system, clock, ledger, ledger.restored()).start();
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "venue-sim-ledger", () -> {
        venue.stop();
        return CompletableFuture.supplyAsync(() -> {
          ledger.close();
          return Done.getInstance();
        }, blocking);
      });
      UserDataStreams streams = new UserDataStreams(system, settings.listenKeyTtl(), settings.userStreamBuffer());
      SimRoutes routes = new SimRoutes(settings, venue, venueSettings, ledger, history, account, rules, streams, system, clock);
      return Http.get(system).newServerAt(settings.host(), settings.port()).bind(routes.route()).thenApply(binding -> {
        binding.addToCoordinatedShutdown(HARD_DEADLINE, system);
        long open = ledger.restored().orders().stream().filter(o -> !o.report().status().isFinal()).count();
        log.info("event=venue_sim_server_started port={} host={} dataDir={} fsync={} symbols={} restoredOrders={} restoredOpenOrders={} weightPerSec={} ordersPerSec={}",
            binding.localAddress().getPort(), settings.host(), settings.dataDir().getAbsolutePath(), settings.fsync(), rules.keySet(),
            ledger.restored().orders().size(), open, settings.rateLimits().weightLimit(), settings.rateLimits().ordersLimit());
        return new VenueSimServer(system, binding);
      });
    }).whenComplete((server, error) -> {
      if (error != null) {
        log.error("event=venue_sim_start_failed dataDir={} port={} error=\"{}\"", settings.dataDir().getAbsolutePath(), settings.port(), error.getMessage());
        system.terminate();
      }
    });
  }

  public int port() {
    return binding.localAddress().getPort();
  }

  /** http://host:port of the simulator. */
  public String url() {
    return "http://" + binding.localAddress().getHostString() + ":" + port();
  }

  public ActorSystem<Void> system() {
    return system;
  }

  /** Unbinds, closes the ledger and terminates the system; completes when all of it is done. */
  public CompletionStage<Done> stop() {
    return CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason()).thenCompose(done -> system.getWhenTerminated().thenApply(t -> Done.getInstance()));
  }
}
