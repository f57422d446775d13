package io.sparkexec;

import static org.apache.pekko.http.javadsl.server.Directives.concat;

import com.typesafe.config.Config;
import io.sparkexec.batch.Batcher;
import io.sparkexec.chaos.ChaosRoutes;
import io.sparkexec.chaos.ChaosService;
import io.sparkexec.console.ConsoleRoutes;
import io.sparkexec.feed.FeedHub;
import io.sparkexec.feed.FeedRoutes;
import io.sparkexec.feed.FeedSettings;
import io.sparkexec.feed.JournalOrderEvents;
import io.sparkexec.feed.WsTokens;
import io.sparkexec.front.FrontRoutes;
import io.sparkexec.front.FrontSettings;
import io.sparkexec.http.Auth;
import io.sparkexec.http.ContractRoutes;
import io.sparkexec.http.HttpServer;
import io.sparkexec.http.Readiness;
import io.sparkexec.http.StartingRoutes;
import io.sparkexec.http.SystemRoutes;
import io.sparkexec.journal.JournalHealth;
import io.sparkexec.journal.PostgresStore;
import io.sparkexec.journal.TagHeadQuery;
import io.sparkexec.order.OrderDesk;
import io.sparkexec.order.OrderIndex;
import io.sparkexec.order.OrderRecovery;
import io.sparkexec.order.OrderRoutes;
import io.sparkexec.order.OrderService;
import io.sparkexec.order.ReconciliationRoutes;
import io.sparkexec.order.Reconciler;
import io.sparkexec.order.Scope;
import io.sparkexec.order.VenueChecks;
import io.sparkexec.order.SymbolRulesGuard;
import io.sparkexec.queue.DurableQueue;
import io.sparkexec.queue.QueueRoutes;
import io.sparkexec.queue.QueueService;
import io.sparkexec.queue.SignalConsumer;
import io.sparkexec.risk.Risk;
import io.sparkexec.risk.RiskRoutes;
import io.sparkexec.risk.TradeMode;
import io.sparkexec.shadow.ShadowBook;
import io.sparkexec.shadow.ShadowRoutes;
import io.sparkexec.shadow.ShadowService;
import io.sparkexec.slo.Canary;
import io.sparkexec.slo.CanaryRoutes;
import io.sparkexec.snapshot.ExportRoutes;
import io.sparkexec.snapshot.FillExport;
import io.sparkexec.snapshot.SnapshotRoutes;
import io.sparkexec.snapshot.Snapshots;
import io.sparkexec.venue.CircuitBreakerVenue;
import io.sparkexec.venue.HttpVenue;
import io.sparkexec.venue.MarketData;
import io.sparkexec.slo.SloRoutes;
import io.sparkexec.slo.SloService;
import io.sparkexec.slo.SloSettings;
import io.sparkexec.slo.SloSources;
import io.sparkexec.venue.SimulatedVenue;
import io.sparkexec.venue.SymbolRule;
import io.sparkexec.venue.Venue;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.SelfUp;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wiring only: spawns the rooms, joins the single-node cluster, opens the gates, binds HTTP. */
public final class Guardian {

  public static final String GATE_CLUSTER = "cluster";
  public static final String GATE_JOURNAL = "journal";
  public static final String GATE_JOURNAL_WRITES = "journal-writes";
  public static final String GATE_RISK = "risk";
  public static final String GATE_WARM_UP = "warm-up";
  public static final String GATE_VENUE = "venue";
  public static final String GATE_RECONCILIATION = "reconciliation";

  public sealed interface Command {}

  private record ClusterUp(SelfUp up) implements Command {}

  private record RecoveryFinished(OrderRecovery.Result result, Throwable error) implements Command {}

  private enum RetryRecovery implements Command {
    INSTANCE
  }

  private static final Duration RECOVERY_RETRY = Duration.ofSeconds(5);
  // for callbacks that run outside the guardian (the venue's threads), where ctx.getLog() must not be used
  private static final Logger log = LoggerFactory.getLogger(Guardian.class);

  private record VenueStarted(HttpVenue.Info info, Throwable error) implements Command {}

  private enum RetryVenueStart implements Command {
    INSTANCE
  }

  /** The venue is not what TRADE_MODE allows (e.g. paper against a venue that is no simulator). */
  public enum VenueRefused implements CoordinatedShutdown.Reason {
    INSTANCE
  }

  public static Behavior<Command> create(Config config) {
    return Behaviors.setup(ctx -> new Guardian(ctx, config).starting());
  }

  private final ActorContext<Command> ctx;
  private final Config spark;
  private final Readiness readiness = new Readiness(GATE_CLUSTER, GATE_JOURNAL, GATE_JOURNAL_WRITES, GATE_RISK, GATE_VENUE, GATE_RECONCILIATION,
      GATE_WARM_UP);
  private final List<String> symbols;
  private final ActorRef<Reconciler.Command> reconciler;
  private final TradeMode tradeMode;
  private final HttpVenue httpVenue;
  private final SymbolRulesGuard symbolRules;

  private Guardian(ActorContext<Command> ctx, Config config) {
    this.ctx = ctx;
    this.spark = config.getConfig("spark");
    readiness.pass(GATE_JOURNAL_WRITES, "no failure seen");
    Clock clock = Clock.systemUTC();
    SloService slo = new SloService(SloSettings.fromConfig(spark.getConfig("slo")), clock);
    SloSources sloSources = new SloSources(slo, clock);
    Map<String, SymbolRule> rules = SymbolRule.fromConfig(spark.getConfig("venue"));
    String venueKind = spark.getString("venue.kind");
    tradeMode = TradeMode.check(spark.getString("trade-mode"), spark.getBoolean("live-enabled"), venueKind);
    Auth auth = Auth.fromConfig(spark.getConfig("auth"), spark.getString("trade-mode"));
    // HTTP first (after the config checks above, which take no time): health, ready (503 with the pending
    // gates) and metrics answer while the rooms start; the rooms' routes answer 503 STARTING until wired below
    StartingRoutes starting = new StartingRoutes(readiness);
    CompletionStage<InetSocketAddress> bound = HttpServer.start(ctx.getSystem(), HttpServer.Settings.fromConfig(spark.getConfig("http")),
        List.of(new SystemRoutes(readiness, auth).route(), new ContractRoutes().route(), new ConsoleRoutes().route(),
            starting.route()), sloSources.apiErrors());
    MarketData marketData;
    Venue link;
    if (venueKind.equals(TradeMode.HTTP_VENUE)) {
      httpVenue = new HttpVenue(HttpVenue.Settings.fromConfig(spark.getConfig("venue.http")), ctx.getSystem(), clock);
      marketData = httpVenue;
      link = httpVenue;
      startHttpVenue();
    } else {
      SimulatedVenue sim = new SimulatedVenue(SimulatedVenue.Settings.fromConfig(spark.getConfig("venue.sim")), rules, ctx.getSystem(), clock).start();
      httpVenue = null;
      marketData = sim;
      link = sim;
      readiness.pass(GATE_VENUE, "in-process simulator");
    }
    // chaos: faults on the order path's venue calls, below the circuit breaker so they open it like real ones;
    // a recovery is the SLOs back within objective after chaos is cleared
    ChaosService chaos = new ChaosService(ctx.getSystem(), b -> ctx.spawn(b, "chaos"),
        ChaosService.Settings.fromConfig(spark.getConfig("chaos"), spark.getString("trade-mode"), spark.getDuration("http.ask-timeout")),
        clock, slo::withinSlo);
    CircuitBreakerVenue venue = new CircuitBreakerVenue(chaos.wrap(link), CircuitBreakerVenue.Settings.fromConfig(spark.getConfig("venue.breaker")), ctx.getSystem());
    CoordinatedShutdown.get(ctx.getSystem()).addTask(CoordinatedShutdown.PhaseServiceStop(), "venue-link-stop", () -> {
      venue.close();
      return httpVenue != null ? httpVenue.stop() : CompletableFuture.completedFuture(Done.getInstance());
    });

    Batcher.Settings batchSettings = Batcher.Settings.fromConfig(spark.getConfig("batch"));
    Map<String, ActorRef<Batcher.Command>> batchers = new HashMap<>();
    for (String symbol : rules.keySet()) batchers.put(symbol, ctx.spawn(Batcher.create(symbol, venue, batchSettings), "batcher-" + symbol));

    symbols = List.copyOf(rules.keySet());
    OrderIndex index = OrderIndex.get(ctx.getSystem());
    VenueChecks venueChecks = new VenueChecks(venue, spark.getInt("orders.venue-check-parallelism"));
    OrderDesk.Deps deps = new OrderDesk.Deps(marketData, batchers::get, venue, venueChecks, index, clock,
        OrderDesk.InDoubt.fromConfig(spark.getConfig("orders.in-doubt")), OrderDesk.Settings.fromConfig(spark.getConfig("orders.desk"), batchSettings));
    ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
    // a desk owns its symbol's open orders and their timers: it never passivates
    sharding.init(Entity.of(OrderDesk.ENTITY_KEY, ec -> OrderDesk.create(ec.getEntityId(), deps))
        .withStopMessage(OrderDesk.Stop.INSTANCE)
        .withSettings(ClusterShardingSettings.create(ctx.getSystem()).withNoPassivationStrategy()));
    venue.onExecutionReport(report -> {
      // a report names its symbol, and so its desk; one that does not cannot be placed anywhere
      if (report.symbol() == null) log.warn("event=venue_report_without_symbol clientOrderId={}", report.clientOrderId());
      else sharding.entityRefFor(OrderDesk.ENTITY_KEY, report.symbol()).tell(new OrderDesk.ApplyVenueReport(report));
    });

    ActorRef<JournalHealth.Command> journalHealth = ctx.spawn(JournalHealth.create(Duration.ofSeconds(3), Duration.ofSeconds(2),
        new JournalHealth.Listener() {
          @Override
          public void up(String detail) {
            readiness.pass(GATE_JOURNAL_WRITES, detail);
          }

          @Override
          public void down(String reason) {
            readiness.fail(GATE_JOURNAL_WRITES, reason);
          }
        }), "journal-health");
    Risk risk = new Risk(Risk.Settings.fromConfig(spark.getConfig("risk")), clock, marketData);
    symbolRules = new SymbolRulesGuard(rules, marketData);
    OrderService orderService = new OrderService(ctx.getSystem(), index, rules.keySet(), List.of(symbolRules, risk.guard()),
        List.of(symbolRules, risk.dryRunGuard()), readiness, OrderService.Settings.fromConfig(spark.getConfig("http")), clock,
        reason -> journalHealth.tell(new JournalHealth.Suspect(reason)));
    reconciler = ctx.spawn(Reconciler.create(Reconciler.Settings.fromConfig(spark.getConfig("orders.reconciliation"),
        venueChecks.parallelism(), spark.getDuration("http.ask-timeout")), venue, orderService, new Reconciler.Listener() {
          @Override
          public void passed(String detail) {
            readiness.pass(GATE_RECONCILIATION, detail);
          }

          @Override
          public void failed(String reason) {
            readiness.fail(GATE_RECONCILIATION, reason);
          }
        }, clock), "reconciler");


    risk.start(ctx, orderService, spark.getString("orders.read-journal"), spark.getDuration("http.ask-timeout"),
        () -> readiness.pass(GATE_RISK, "trading state and ledger recovered"));
    OrderRoutes orderRoutes = new OrderRoutes(orderService, auth, OrderRoutes.Settings.fromConfig(spark.getConfig("http")));
    RiskRoutes riskRoutes = new RiskRoutes(risk, auth, () -> AppConfig.load().getConfig("spark.auth"),
        ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking()), spark.getBytes("http.max-body-bytes"));
    ShadowService shadow = new ShadowService(ctx.getSystem(),
        ctx.spawn(ShadowBook.create(spark.getInt("shadow.keep"), spark.getInt("risk.snapshot-every")), "shadow-book"),
        List.of(symbolRules, risk.shadowGuard()), marketData, rules,
        ShadowService.Settings.fromConfig(spark.getConfig("shadow"), spark.getConfig("venue.sim")), clock, spark.getDuration("http.ask-timeout"),
        orderService, tradeMode.configName());
    if (tradeMode != TradeMode.SHADOW && spark.getBoolean("shadow.live-enabled")) shadow.startTwins(spark.getString("orders.read-journal"));
    ShadowRoutes shadowRoutes = new ShadowRoutes(shadow, auth, orderRoutes);
    FeedSettings feedSettings = FeedSettings.fromConfig(spark.getConfig("feed"));
    FeedHub feed = FeedHub.start(ctx.getSystem(), feedSettings, FeedHub.polling(marketData, rules.keySet(), feedSettings.marketInterval()),
        new JournalOrderEvents(ctx.getSystem(), spark.getString("orders.read-journal"), postgresTagHead(), orderService::strategyOf), clock);
    risk.systemEvents().subscribe(e -> feed.publishSystem(e.type(), e.fields()));
    FeedRoutes feedRoutes = new FeedRoutes(feed, new WsTokens(feedSettings.tokenTtl(), feedSettings.maxTokens(), feedSettings.maxTokensPerKey(), clock), auth);
    DurableQueue.Settings queueSettings = DurableQueue.Settings.fromConfig(spark.getConfig("queue"));
    QueueService queue = new QueueService(ctx.getSystem(), ctx.spawn(DurableQueue.create(queueSettings, clock), "queue-" + queueSettings.name()),
        queueSettings);
    QueueRoutes queueRoutes = new QueueRoutes(queue, auth, spark.getBytes("http.max-body-bytes"), queueSettings.fullRetryAfter());
    // the feed's queue channel: this queue's stats, polled at the market data's pace
    feed.pollQueue(queueSettings.name(), () -> queue.stats().thenApply(r -> r instanceof QueueService.Answered a && a.reply() instanceof DurableQueue.Stats st
        ? Map.<String, Object>of("ready", st.ready(), "inFlight", st.inFlight(), "deadLettered", st.deadLettered(),
            "oldestReadyAgeSeconds", st.oldestReadyAgeSeconds())
        : Map.<String, Object>of()), feedSettings.marketInterval());
    SignalConsumer.Settings consumerSettings = SignalConsumer.Settings.fromConfig(spark.getConfig("queue.consumer"));
    // shadow mode answers orders with the shadow; the consumer places through OrderService, so it stays off
    if (consumerSettings.enabled() && tradeMode == TradeMode.SHADOW) {
      ctx.getLog().warn("event=signal_consumer_off reason=\"TRADE_MODE=shadow: signals wait in the queue\"");
    } else if (consumerSettings.enabled()) {
      UniqueKillSwitch consumer = new SignalConsumer(ctx.getSystem(), queue, orderService, consumerSettings, queueSettings.name(),
          readiness::isReady).onSignalLatency((strategy, latency) -> slo.recordLatency(SloService.SIGNAL_LATENCY, strategy, latency)).start();
      CoordinatedShutdown.get(ctx.getSystem()).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "signal-consumer-stop", () -> {
        consumer.shutdown();
        return CompletableFuture.completedFuture(Done.getInstance());
      });
    }
    Snapshots snapshots = new Snapshots(ctx.getSystem(), Snapshots.Settings.fromConfig(spark.getConfig("snapshot")),
        ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking()), new Snapshots.Sources(orderService, risk, queue), clock);
    snapshots.onOutcome(ok -> slo.recordOutcome(SloService.SNAPSHOT_SUCCESS, null, ok));
    snapshots.startRetention();
    SnapshotRoutes snapshotRoutes = new SnapshotRoutes(snapshots, auth, spark.getBytes("http.max-body-bytes"));
    ExportRoutes exportRoutes = new ExportRoutes(new FillExport(ctx.getSystem(), spark.getString("orders.read-journal"), queueSettings.name(),
        id -> orderService.get(id, Scope.ALL)),
        auth, clock);
    // SLOs: place->ack from the order service, API errors from the HTTP edge, alerts onto the feed's system channel
    orderService.onPlaced(sloSources.placeAck());
    slo.onAlert(a -> feed.publishSystem("slo_alert", a.fields()));
    feed.onClosed(sloSources::feedClosed);
    chaos.onSettings(settings -> feed.setFlapPeriod(settings.wsFlapPeriod()));
    slo.startEvaluating(ctx.getSystem());
    CoordinatedShutdown.get(ctx.getSystem()).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "readiness-off", () -> {
      readiness.stopping("shutting down");
      return CompletableFuture.completedFuture(Done.getInstance());
    });
    List<Route> rooms = new ArrayList<>(List.of(shadowRoutes.route()));
    // shadow mode: POST /order is answered by the shadow before the order routes can place anything
    if (tradeMode == TradeMode.SHADOW) rooms.add(shadowRoutes.shadowEveryOrder());
    rooms.addAll(List.of(orderRoutes.route(), riskRoutes.route(), feedRoutes.route(), queueRoutes.route(),
        snapshotRoutes.route(), exportRoutes.route(),
        new ReconciliationRoutes(reconciler, auth, spark.getDuration("http.ask-timeout"), ctx.getSystem().scheduler()).route()));
    // canary: synthetic orders over loopback HTTP; the warm-up gate passes once they have warmed the path.
    // Its endpoint is outside chaos (like the chaos routes); its orders go through the order route and meet chaos there.
    Canary canary = new Canary(ctx.getSystem(), Canary.Settings.fromConfig(spark.getConfig("canary")), auth, marketData, rules, venueKind,
        tradeMode, readiness, clock);
    // chaos injection runs before every room's route (so before any guard or journal) and skips the exempt paths
    starting.up(concat(new ChaosRoutes(chaos, auth, spark.getBytes("http.max-body-bytes")).route(),
        new CanaryRoutes(canary, auth).route(),
        new SloRoutes(slo, auth).route(),
        chaos.injection().wrap(concat(rooms.get(0), rooms.subList(1, rooms.size()).toArray(Route[]::new)))));
    canary.start(bound, GATE_WARM_UP);
    startBinanceFront(orderService, auth, marketData, feed, shadow, venueKind, clock);

    Cluster cluster = Cluster.get(ctx.getSystem());
    cluster.subscriptions().tell(Subscribe.create(ctx.messageAdapter(SelfUp.class, ClusterUp::new), SelfUp.class));
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
  }

  /** The Binance-compatible front door on a port of its own, behind the same edge (HeadGuard, connection caps) as the JSON API. */
  private void startBinanceFront(OrderService orderService, Auth auth, MarketData marketData, FeedHub feed, ShadowService shadow, String venueKind,
      Clock clock) {
    FrontSettings front = FrontSettings.fromConfig(spark.getConfig("binance"));
    if (!front.enabled()) return;
    HttpServer.Settings http = HttpServer.Settings.fromConfig(spark.getConfig("http"));
    FrontRoutes routes = new FrontRoutes(front, orderService, auth, symbolRules, marketData,
        venueKind.equals(TradeMode.HTTP_VENUE) ? spark.getConfig("venue.http") : null, tradeMode == TradeMode.SHADOW ? shadow : null,
        feed::onOrderEvent, ctx.getSystem(), clock);
    HttpServer.start(ctx.getSystem(), new HttpServer.Settings(front.host(), front.port(), http.hardDeadline(), http.compression(), http.connections()),
        List.of(routes.route()));
  }

  private void recoverOrders() {
    ctx.pipeToSelf(OrderRecovery.run(ctx.getSystem(), symbols, spark.getDuration("http.ask-timeout")), RecoveryFinished::new);
  }

  /** The HTTP venue's exchangeInfo decides whether TRADE_MODE may use it; until then the venue gate is pending. */
  /** The venue's own filters are the ones its orders must pass: checked here before an order is sent. */
  private void adoptVenueFilters(HttpVenue.Info info) {
    SymbolRulesGuard.Adopted adopted = symbolRules.adopt(info.filters());
    adopted.changed().forEach((symbol, changes) ->
        ctx.getLog().info("event=venue_symbol_filters symbol={} source=exchangeInfo changed=\"{}\"", symbol, String.join(", ", changes)));
    for (String symbol : adopted.notListed()) {
      ctx.getLog().warn("event=venue_symbol_not_listed symbol={} effect=\"orders for it are refused UNKNOWN_SYMBOL\"", symbol);
    }
  }

  /** JOURNAL=postgres: the feed's head from the database's index (the JDBC read journal cannot say); null on our journal, which can. */
  private TagHeadQuery postgresTagHead() {
    if (!spark.getString("journal-profile").equals("postgres")) return null;
    return PostgresStore.tagHeadQuery(PostgresStore.Settings.fromConfig(spark),
        ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking()));
  }

  private void startHttpVenue() {
    ctx.pipeToSelf(httpVenue.start(), VenueStarted::new);
  }

  private Behavior<Command> onVenueStarted(VenueStarted started) {
    if (started.error() != null) {
      Duration retry = spark.getDuration("venue.http.start-retry");
      ctx.getLog().warn("event=venue_unreachable retryInMs={} error=\"{}\"", retry.toMillis(), started.error().toString());
      readiness.fail(GATE_VENUE, "venue unreachable (retrying): " + started.error().getMessage());
      ctx.scheduleOnce(retry, ctx.getSelf(), RetryVenueStart.INSTANCE);
      return Behaviors.same();
    }
    try {
      tradeMode.checkVenue(started.info().simulator());
      adoptVenueFilters(started.info());
      readiness.pass(GATE_VENUE, "venue " + spark.getString("venue.http.url") + " simulator=" + started.info().simulator());
    } catch (IllegalStateException e) {
      ctx.getLog().error("event=start_refused reason=\"{}\"", e.getMessage());
      readiness.fail(GATE_VENUE, e.getMessage());
      CoordinatedShutdown.get(ctx.getSystem()).run(VenueRefused.INSTANCE);
    }
    return Behaviors.same();
  }

  private Behavior<Command> starting() {
    return Behaviors.receive(Command.class)
        .onMessage(VenueStarted.class, this::onVenueStarted)
        .onMessage(RetryVenueStart.class, retry -> {
          startHttpVenue();
          return Behaviors.same();
        })
        .onMessage(ClusterUp.class, up -> {
          readiness.pass(GATE_CLUSTER, "single node up at " + Cluster.get(ctx.getSystem()).selfMember().address());
          recoverOrders();
          return Behaviors.same();
        })
        .onMessage(RetryRecovery.class, retry -> {
          recoverOrders();
          return Behaviors.same();
        })
        .onMessage(RecoveryFinished.class, done -> {
          if (done.error() != null) {
            ctx.getLog().error("event=order_recovery_failed retryInMs={} error=\"{}\"", RECOVERY_RETRY.toMillis(), done.error().toString());
            readiness.fail(GATE_JOURNAL, "order recovery failed (retrying): " + done.error().getMessage());
            ctx.scheduleOnce(RECOVERY_RETRY, ctx.getSelf(), RetryRecovery.INSTANCE);
          } else {
            readiness.pass(GATE_JOURNAL, "recovered " + done.result().openOrders().size() + " open orders in " + done.result().desks()
                + " order desks in " + done.result().took().toMillis() + " ms");
            reconciler.tell(new Reconciler.Start(done.result().openOrders()));
          }
          return Behaviors.same();
        })
        .build();
  }

}
