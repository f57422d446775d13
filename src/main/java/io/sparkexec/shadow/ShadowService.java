package io.sparkexec.shadow;

import com.typesafe.config.Config;
import io.sparkexec.metrics.Metrics;
import io.sparkexec.order.Order;
import io.sparkexec.order.OrderDesk;
import io.sparkexec.order.OrderGuard;
import io.sparkexec.order.OrderRequest;
import io.sparkexec.order.OrderService;
import io.sparkexec.order.Rejection;
import io.sparkexec.order.Scope;
import io.sparkexec.venue.MarketData;
import io.sparkexec.venue.SymbolRule;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.persistence.query.javadsl.EventsByTagQuery;
import org.apache.pekko.stream.RestartSettings;
import org.apache.pekko.stream.javadsl.RestartSource;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Do-not-send orders: validated and checked by the same guards as real ones (dry run: they use up
 * no limit), filled against the simulated market now ({@link ShadowFill}) with a simulated venue
 * latency, journaled in the {@link ShadowBook}. Twins: with shadow-live enabled, every real order
 * journaled while this process runs also gets a shadow, and the report compares the two.
 */
public final class ShadowService {

  private static final Logger log = LoggerFactory.getLogger(ShadowService.class);

  /** The latency model: the venue's ack latency plus a seeded uniform jitter of 0..jitterMs. */
  public record Settings(BigDecimal impactBpsPerTouch, Duration ackLatency, int jitterMs, long seed) {
    public static Settings fromConfig(Config shadow, Config venueSim) {
      return new Settings(new BigDecimal(venueSim.getString("impact-bps-per-touch")), Duration.ofMillis(venueSim.getLong("ack-latency-ms")),
          shadow.getInt("latency-jitter-ms"), shadow.getLong("seed"));
    }
  }

  public sealed interface Outcome {}

  public record Shadowed(ShadowOrder order) implements Outcome {}

  public record Refused(Rejection rejection) implements Outcome {}

  /** Count and figures of one side of the report; mean and p95 (nearest rank) over orders with fills. */
  public record Stats(int count, BigDecimal meanSlippageBps, BigDecimal p95SlippageBps, BigDecimal meanLatencyMs, BigDecimal p95LatencyMs) {}

  private record Pair(ShadowOrder twin, Optional<Order> real) {}

  /** {@code real} is null in shadow mode, where there are no real orders to compare. */
  public record Report(String mode, String strategy, Stats shadow, Stats real) {}

  private final ActorSystem<?> system;
  private final ActorRef<ShadowBook.Command> book;
  private final List<OrderGuard> guards;
  private final MarketData marketData;
  private final Map<String, SymbolRule> rules;
  private final Settings settings;
  private final Clock clock;
  private final Duration askTimeout;
  private final OrderService orders;
  private final String mode;
  private final Random jitter;

  public ShadowService(ActorSystem<?> system, ActorRef<ShadowBook.Command> book, List<OrderGuard> guards, MarketData marketData,
      Map<String, SymbolRule> rules, Settings settings, Clock clock, Duration askTimeout, OrderService orders, String mode) {
    this.system = system;
    this.book = book;
    this.guards = List.copyOf(guards);
    this.marketData = marketData;
    this.rules = rules;
    this.settings = settings;
    this.clock = clock;
    this.askTimeout = askTimeout;
    this.orders = orders;
    this.mode = mode;
    this.jitter = new Random(settings.seed());
  }

  public CompletionStage<Outcome> place(OrderRequest request, Scope scope, String source) {
    Rejection r = scope.permits(request.strategy()) ? null
        : new Rejection(Rejection.Kind.FORBIDDEN, "STRATEGY_NOT_PERMITTED", "this API key may only trade strategies " + scope.strategies(),
            "strategy", Map.of("strategies", scope.strategies()));
    for (int i = 0; r == null && i < guards.size(); i++) r = guards.get(i).check(request);
    if (r != null) {
      log.info("event=shadow_refused code={} field={} clientOrderId={} symbol={}", r.code(), r.field(), request.clientOrderId(), request.symbol());
      return CompletableFuture.completedFuture(new Refused(r));
    }
    MarketData.Quote quote = marketData.quote(request.symbol());
    return record(request, source, null, quote.touch(request.side()), 0).thenApply(Shadowed::new);
  }

  private CompletionStage<ShadowOrder> record(OrderRequest r, String source, String twinOf, BigDecimal decisionPrice, long twinOffset) {
    ShadowFill.Result fill = ShadowFill.fill(r, decisionPrice, marketData.quote(r.symbol()), rules.get(r.symbol()), settings.impactBpsPerTouch());
    long latencyMs = nextLatencyMs();
    ShadowOrder order = new ShadowOrder("s-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24), source, twinOf,
        r.clientOrderId(), r.strategy(), r.symbol(), r.side(), r.type(), r.timeInForce(), r.quantity(), r.price(), decisionPrice, fill.fills(),
        fill.executedQty(), fill.avgPrice(), fill.status(), fill.slippageBps(), latencyMs, clock.instant());
    return AskPattern.<ShadowBook.Command, ShadowOrder>ask(book, replyTo -> new ShadowBook.Record(order, twinOffset, replyTo), askTimeout,
        system.scheduler()).thenApply(recorded -> {
          if (recorded == order) counted(order);
          return recorded;
        });
  }

  private synchronized long nextLatencyMs() {
    return settings.ackLatency().toMillis() + jitter.nextInt(settings.jitterMs() + 1);
  }

  private static void counted(ShadowOrder o) {
    Metrics.SHADOW_ORDERS.withTag("source", o.source()).increment();
    Metrics.SHADOW_LATENCY.withoutTags().record(Duration.ofMillis(o.latencyMs()).toNanos());
    if (o.slippageBps() != null) {
      Metrics.SHADOW_SLIPPAGE_BPS.withTag("direction", o.slippageBps().signum() > 0 ? "adverse" : "favorable")
          .record(o.slippageBps().abs().setScale(0, RoundingMode.HALF_UP).longValueExact());
    }
    log.info("event=shadow_order source={} clientOrderId={} twinOf={} symbol={} status={} decisionPrice={} avgPrice={} slippageBps={} latencyMs={}",
        o.source(), o.clientOrderId(), o.twinOf(), o.symbol(), o.status(), o.decisionPrice(), o.avgPrice(), o.slippageBps(), o.latencyMs());
  }

  public CompletionStage<List<ShadowOrder>> orders(String strategy, Scope scope) {
    return AskPattern.<ShadowBook.Command, ShadowBook.State>ask(book, ShadowBook.Get::new, askTimeout, system.scheduler())
        .thenApply(s -> s.orders().stream().filter(o -> scope.permits(o.strategy()) && (strategy == null || strategy.equals(o.strategy()))).toList());
  }

  /** Shadow mode: the shadow figures alone. Otherwise: twins against their real orders' fills, pairs where both filled. */
  public CompletionStage<Report> report(String strategy, Scope scope) {
    return orders(strategy, scope).thenCompose(all -> {
      if ("shadow".equals(mode)) {
        List<ShadowOrder> filled = all.stream().filter(o -> o.slippageBps() != null).toList();
        return CompletableFuture.completedFuture(new Report(mode, strategy, stats(filled.stream().map(ShadowOrder::slippageBps).toList(),
            filled.stream().map(o -> BigDecimal.valueOf(o.latencyMs())).toList()), null));
      }
      List<ShadowOrder> twins = all.stream().filter(o -> o.twinOf() != null && o.slippageBps() != null).toList();
      return Source.from(twins)
          .mapAsync(4, twin -> orders.get(twin.twinOf(), Scope.ALL).thenApply(real -> new Pair(twin, real)))
          .runWith(Sink.seq(), system)
          .thenApply(pairs -> {
            List<BigDecimal> shadowSlip = new ArrayList<>(), shadowLat = new ArrayList<>(), realSlip = new ArrayList<>(), realLat = new ArrayList<>();
            for (Pair pair : pairs) {
              BigDecimal slip = pair.real().map(ShadowService::realSlippageBps).orElse(null);
              BigDecimal latency = pair.real().map(ShadowService::realLatencyMs).orElse(null);
              if (slip == null || latency == null) continue;
              shadowSlip.add(pair.twin().slippageBps());
              shadowLat.add(BigDecimal.valueOf(pair.twin().latencyMs()));
              realSlip.add(slip);
              realLat.add(latency);
            }
            return new Report(mode, strategy, stats(shadowSlip, shadowLat), stats(realSlip, realLat));
          });
    });
  }

  static BigDecimal realSlippageBps(Order o) {
    if (o.executedQty().signum() == 0) return null;
    BigDecimal avg = o.cumQuoteQty().divide(o.executedQty(), 8, RoundingMode.HALF_UP);
    return ShadowFill.slippageBps(o.side(), o.decisionPrice(), avg);
  }

  /** Received over HTTP to acknowledged by the venue: what the shadow's simulated latency stands for. */
  static BigDecimal realLatencyMs(Order o) {
    Order.Timestamps t = o.timestamps();
    if (t.received() == null || t.acknowledged() == null) return null;
    return BigDecimal.valueOf(Duration.between(t.received(), t.acknowledged()).toNanos()).divide(BigDecimal.valueOf(1_000_000), 3, RoundingMode.HALF_UP);
  }

  static Stats stats(List<BigDecimal> slippage, List<BigDecimal> latency) {
    return new Stats(slippage.size(), mean(slippage), p95(slippage), mean(latency), p95(latency));
  }

  static BigDecimal mean(List<BigDecimal> values) {
    if (values.isEmpty()) return null;
    BigDecimal sum = values.stream().reduce(BigDecimal.ZERO, BigDecimal::add);
    return sum.divide(BigDecimal.valueOf(values.size()), 4, RoundingMode.HALF_UP);
  }

  /** Nearest rank: the smallest value with at least 95% of the values at or below it. */
  static BigDecimal p95(List<BigDecimal> values) {
    if (values.isEmpty()) return null;
    List<BigDecimal> sorted = values.stream().sorted().toList();
    return sorted.get((int) Math.ceil(0.95 * sorted.size()) - 1);
  }

  /** Twins: every real order accepted from now on gets a shadow (restarted with backoff, from the last twin's offset). */
  public void startTwins(String readJournalId) {
    Instant since = clock.instant();
    EventsByTagQuery query = PersistenceQuery.get(system).getReadJournalFor(EventsByTagQuery.class, readJournalId);
    RestartSettings restart = RestartSettings.create(Duration.ofMillis(500), Duration.ofSeconds(10), 0.2);
    RestartSource.withBackoff(restart, () ->
            Source.completionStage(AskPattern.<ShadowBook.Command, ShadowBook.State>ask(book, ShadowBook.Get::new, askTimeout, system.scheduler()))
                .flatMapConcat(state -> query.eventsByTag(OrderDesk.TAG, Sequence.apply(state.twinOffset())))
                .filter(env -> env.event() instanceof OrderDesk.OrderAccepted a && !a.acceptedAt().isBefore(since))
                .mapAsync(1, this::twin))
        .runWith(Sink.ignore(), system);
    log.info("event=shadow_twins_started readJournal={}", readJournalId);
  }

  private CompletionStage<ShadowOrder> twin(EventEnvelope env) {
    OrderDesk.OrderAccepted a = (OrderDesk.OrderAccepted) env.event();
    OrderRequest r = new OrderRequest(a.clientOrderId(), a.spec(), OrderRequest.RespType.ACKNOWLEDGED);
    BigDecimal decision = a.decisionPrice() != null ? a.decisionPrice() : marketData.quote(r.symbol()).touch(r.side());
    return record(r, ShadowOrder.TWIN, a.clientOrderId(), decision, ((Sequence) env.offset()).value());
  }
}
