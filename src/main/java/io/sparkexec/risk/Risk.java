package io.sparkexec.risk;

import com.typesafe.config.Config;
import io.sparkexec.order.OrderGuard;
import io.sparkexec.order.OrderService;
import io.sparkexec.order.Scope;
import io.sparkexec.venue.MarketData;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The risk room assembled: the guards' view ({@link RiskBook}), the trading state and limits
 * ({@link Guardrails}), the ledger and its projection, the dead-man switch and the system events.
 * It uses the order room's public front door ({@link OrderService}) to cancel; the order room
 * knows it only as guards in its chain.
 */
public final class Risk {

  private static final Logger log = LoggerFactory.getLogger(Risk.class);

  public record Settings(TradingState initialState, Map<Limit, BigDecimal> defaults, RiskBook.NodeBounds node, Duration reservationTtl,
      int ledgerBatchSize, Duration ledgerBatchWindow, int snapshotEvery, int auditKeep, Duration deadManMinWindow, Duration deadManMaxWindow) {

    public static Settings fromConfig(Config risk) {
      TradingState initial;
      try {
        initial = TradingState.valueOf(risk.getString("initial-state").toUpperCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("spark.risk.initial-state must be one of ACTIVE, REDUCING, HALTED: " + risk.getString("initial-state"));
      }
      return new Settings(initial, Limit.fromConfig(risk.getConfig("limits")), nodeBounds(risk.getConfig("node")), risk.getDuration("reservation-ttl"),
          risk.getInt("ledger-batch-size"), Duration.ofMillis(risk.getLong("ledger-batch-ms")), risk.getInt("snapshot-every"),
          risk.getInt("audit-keep"), risk.getDuration("dead-man.min-window"), risk.getDuration("dead-man.max-window"));
    }

    /** spark.risk.node, each bound at least 1, so a bad value stops the start with its key named. */
    public static RiskBook.NodeBounds nodeBounds(Config node) {
      for (String key : List.of("max-open-orders", "max-orders-per-second", "max-strategies")) {
        if (node.getInt(key) < 1) throw new IllegalArgumentException("spark.risk.node." + key + " must be at least 1: " + node.getInt(key));
      }
      return new RiskBook.NodeBounds(node.getInt("max-open-orders"), node.getInt("max-orders-per-second"), node.getInt("max-strategies"));
    }
  }

  /** The answer to an engaged trading state: the new state and, with cancelOpen, how many open orders were canceled. */
  public record Engaged(Guardrails.State state, OrderService.MassCanceled canceled) {}

  private final Settings settings;
  private final Clock clock;
  private final RiskBook book;
  private final SystemEvents events = new SystemEvents();
  private ActorSystem<?> system;
  private OrderService orders;
  private ActorRef<Guardrails.Command> guardrails;
  private ActorRef<DeadManSwitch.Command> deadMan;
  private Duration askTimeout;

  public Risk(Settings settings, Clock clock, MarketData marketData) {
    this.settings = settings;
    this.clock = clock;
    this.book = new RiskBook(clock, marketData, settings.defaults(), settings.reservationTtl(), settings.node());
  }

  public OrderGuard guard() {
    return book.guard();
  }

  public OrderGuard dryRunGuard() {
    return book.dryRunGuard();
  }

  /** For shadow orders: counted in the order rate, reserving nothing. */
  public OrderGuard shadowGuard() {
    return book.shadowGuard();
  }

  /** The hook for the feed's system channel. */
  public SystemEvents systemEvents() {
    return events;
  }

  public Settings settings() {
    return settings;
  }

  RiskBook book() {
    return book;
  }

  /** The trading state and limit overrides as last journaled, for read-only callers (state snapshots). */
  public Guardrails.State guardrails() {
    return book.guardrails();
  }

  /** Net positions by strategy, then symbol, from the ledger; empty before it recovered. */
  public Map<String, Map<String, BigDecimal>> positions() {
    return book.positions();
  }

  /** Spawns the actors and starts the projection; {@code ready} runs once the state and the ledger are recovered. */
  public void start(ActorContext<?> ctx, OrderService orders, String readJournalId, Duration askTimeout, Runnable ready) {
    this.system = ctx.getSystem();
    this.orders = orders;
    this.askTimeout = askTimeout;
    AtomicBoolean signaled = new AtomicBoolean();
    Runnable readyOnce = () -> {
      if (book.isReady() && signaled.compareAndSet(false, true)) ready.run();
    };
    guardrails = ctx.spawn(Guardrails.create(new Guardrails.Deps(clock, settings.initialState(), settings.defaults(), settings.snapshotEvery(),
        settings.auditKeep(), state -> {
          book.guardrailsChanged(state);
          readyOnce.run();
        }, this::changed)), "guardrails");
    ActorRef<RiskLedger.Command> ledger = ctx.spawn(RiskLedger.create(new RiskLedger.Deps(settings.snapshotEvery(), book, book::ledgerFolded,
        state -> {
          book.ledgerRecovered(state);
          readyOnce.run();
        })), "risk-ledger");
    deadMan = ctx.spawn(DeadManSwitch.create(clock, strategy -> orders.cancelOpen(null, strategy, Scope.ALL)
        .thenApply(OrderService.MassCanceled::matched), events), "dead-man-switch");
    RiskProjection.start(system, readJournalId, ledger, settings.ledgerBatchSize(), settings.ledgerBatchWindow(), askTimeout);
  }

  private void changed(Guardrails.Event event) {
    Map<String, Object> details = new LinkedHashMap<>();
    if (event instanceof Guardrails.TradingStateChanged e) {
      log.warn("event=trading_state_changed from={} to={} by={} cancelOpen={} reason=\"{}\"", e.from(), e.to(), e.by(), e.cancelOpen(), e.reason());
      details.put("from", e.from().name());
      details.put("to", e.to().name());
      details.put("by", e.by());
      details.put("reason", e.reason());
      events.publish(new SystemEvents.SystemEvent("trading_state_changed", null, details, e.at()));
    } else if (event instanceof Guardrails.LimitChanged e) {
      log.warn("event=risk_limit_changed limit={} from={} to={} by={} reason=\"{}\"", e.limit().apiName, e.from(), e.to(), e.by(), e.reason());
      details.put("limit", e.limit().apiName);
      details.put("from", e.from().toPlainString());
      details.put("to", e.to().toPlainString());
      details.put("by", e.by());
      details.put("reason", e.reason());
      events.publish(new SystemEvents.SystemEvent("limit_changed", null, details, e.at()));
    }
  }

  /** Journals the new state, then (cancelOpen) cancels every open order. */
  public CompletionStage<Engaged> setTradingState(TradingState to, String reason, boolean cancelOpen, String by) {
    return AskPattern.<Guardrails.Command, Guardrails.State>ask(guardrails, replyTo -> new Guardrails.SetTradingState(to, reason, cancelOpen, by, replyTo),
            askTimeout, system.scheduler())
        .thenCompose(state -> cancelOpen
            ? orders.cancelOpen(null, null, Scope.ALL).thenApply(canceled -> new Engaged(state, canceled))
            : CompletableFuture.completedFuture(new Engaged(state, null)));
  }

  public CompletionStage<Guardrails.State> setLimit(Limit limit, BigDecimal value, String reason, String by) {
    return AskPattern.ask(guardrails, replyTo -> new Guardrails.SetLimit(limit, value, reason, by, replyTo), askTimeout, system.scheduler());
  }

  public CompletionStage<DeadManSwitch.Armed> heartbeat(String strategy, Duration window, String by) {
    return AskPattern.ask(deadMan, replyTo -> new DeadManSwitch.Heartbeat(strategy, window, by, replyTo), askTimeout, system.scheduler());
  }
}
