package io.sparkexec.slo;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import io.sparkexec.http.Auth;
import io.sparkexec.http.Json;
import io.sparkexec.http.Readiness;
import io.sparkexec.metrics.Metrics;
import io.sparkexec.order.Rejection;
import io.sparkexec.risk.TradeMode;
import io.sparkexec.venue.MarketData;
import io.sparkexec.venue.SymbolRule;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Synthetic orders through the executor's own front door: real loopback HTTP with JSON, an API
 * key, the guard chain, the journal, the batcher and the venue, exactly as a client's order goes.
 * Each is an IOC LIMIT BUY priced far under the bid at just over the symbol's minimum notional, so
 * it can never fill: it expires at the venue at once (a final state, no position, no fee), and its
 * timestamps give each phase's duration. Its identity is an in-memory key bound to the canary
 * strategy alone, so it is counted in that strategy's limits and never in a real strategy's.
 * Orders go to the simulated venue only: where the venue is real (or in shadow mode) they are
 * shadow orders, never sent.
 */
public final class Canary {

  private static final Logger log = LoggerFactory.getLogger(Canary.class);
  static final String ORDER_PATH = "/api/private/order";
  static final String SHADOW_PATH = "/api/private/order/shadow";
  private static final BigDecimal HUNDRED = BigDecimal.valueOf(100);
  // just over the minimum notional, so a price tick moving the touch cannot make it too small
  private static final BigDecimal NOTIONAL_MARGIN = new BigDecimal("1.1");

  public record Settings(String symbol, String strategy, int ordersPerRun, BigDecimal priceOffsetPct, Duration interval,
      Duration requestTimeout, WarmUp.Settings warmUp) {

    public static Settings fromConfig(Config canary) {
      BigDecimal offset = new BigDecimal(canary.getString("price-offset-pct"));
      if (offset.compareTo(BigDecimal.ONE) < 0 || offset.compareTo(BigDecimal.valueOf(99)) > 0) {
        throw new IllegalArgumentException("spark.canary.price-offset-pct must be between 1 and 99: " + offset);
      }
      if (canary.getInt("orders-per-run") < 1) throw new IllegalArgumentException("spark.canary.orders-per-run must be at least 1");
      return new Settings(canary.getString("symbol"), canary.getString("strategy"), canary.getInt("orders-per-run"), offset,
          Duration.ofSeconds(canary.getLong("interval-sec")), canary.getDuration("request-timeout"),
          WarmUp.Settings.fromConfig(canary.getConfig("warm-up")));
    }
  }

  /**
   * What a canary order is. {@code EXPIRING}, the canary's: an IOC LIMIT BUY far under the bid that
   * expires at once. The warm-up adds marketable pairs ({@code MARKET_BUY} then {@code MARKET_SELL},
   * same size) so the fill path warms too; the pairs leave the canary strategy's position flat.
   */
  public enum Shape {
    EXPIRING,
    MARKET_BUY,
    MARKET_SELL
  }

  /** Where a run's orders go: the order API (a simulated venue), or the shadow API (never sent). */
  public record Plan(String path, Rejection refusal) {}

  /** One synthetic order: its final status and each phase's duration in milliseconds. */
  public record OrderRun(String clientOrderId, int httpStatus, String status, String venueOrderId, Map<String, Double> phasesMs,
      String error) {

    boolean ok() {
      return error == null;
    }
  }

  public sealed interface Outcome {}

  /** A run: where its orders went and what became of them. */
  public record Run(boolean ok, boolean dry, String path, String venue, String symbol, String strategy, List<OrderRun> orders)
      implements Outcome {}

  /** Not run, and why. */
  public record Refused(Rejection rejection) implements Outcome {}

  private final ActorSystem<?> system;
  private final Settings settings;
  private final MarketData marketData;
  private final SymbolRule rule;
  private final boolean simulatorVenue;
  private final boolean shadowMode;
  private final String venueKind;
  private final Readiness readiness;
  private final Clock clock;
  private final String apiKey;
  private final HttpClient http;
  private volatile URI base;

  public Canary(ActorSystem<?> system, Settings settings, Auth auth, MarketData marketData, Map<String, SymbolRule> rules, String venueKind,
      TradeMode tradeMode, Readiness readiness, Clock clock) {
    this.system = system;
    this.settings = settings;
    this.marketData = marketData;
    this.rule = rules.get(settings.symbol());
    if (rule == null) throw new IllegalArgumentException("spark.canary.symbol " + settings.symbol() + " is not one of " + rules.keySet());
    this.venueKind = venueKind;
    this.simulatorVenue = TradeMode.SIMULATOR_VENUE.equals(venueKind);
    this.shadowMode = tradeMode == TradeMode.SHADOW;
    this.readiness = readiness;
    this.clock = clock;
    this.apiKey = auth.internalKey("canary", Auth.Role.TRADER, Set.of(settings.strategy()));
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(settings.requestTimeout()).build();
  }

  public Settings settings() {
    return settings;
  }

  /**
   * Once the server is bound and every gate but {@code warmUpGate} has passed, warms up (when
   * enabled) and then passes that gate; after it, the scheduled canary starts.
   */
  public void start(CompletionStage<InetSocketAddress> bound, String warmUpGate) {
    readiness.warmUpGate(warmUpGate);
    CompletionStage<InetSocketAddress> address = bound.thenApply(a -> {
      String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getHostString();
      base = URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort());
      return a;
    });
    WarmUp.Settings warmUp = settings.warmUp();
    if (!warmUp.enabled()) {
      readiness.pass(warmUpGate, "disabled (WARMUP_ENABLED=false)");
      log.info("event=warm_up_skipped reason=disabled");
      schedule();
      return;
    }
    // async: the gates complete this from inside Readiness, whose lock the warm-up must not run under
    address.thenCombineAsync(readiness.warmUpAllowed(), (a, v) -> a, system.executionContext())
        .thenCompose(a -> WarmUp.run(this, warmUp, plan(true, simulatorVenue, shadowMode, venueKind), detail -> readiness.pending(warmUpGate, detail)))
        .whenComplete((result, error) -> {
          if (error != null) log.warn("event=warm_up_done ok=false error=\"{}\" message=\"ready without a warm-up\"", error.toString());
          readiness.pass(warmUpGate, error == null ? result.detail() : "warm-up failed, ready without it: " + error);
          schedule();
        });
  }

  /**
   * dry=true: the orders reach a simulated venue only (the simulator, or as shadow orders where the
   * venue is real or the mode is shadow). dry=false would send to the configured venue, which only
   * a simulator may be.
   */
  static Plan plan(boolean dry, boolean simulatorVenue, boolean shadowMode, String venueKind) {
    if (!dry && !simulatorVenue) {
      return new Plan(null, new Rejection(Rejection.Kind.RULE, "DRY_RUN_REQUIRED", "dry=false would send canary orders to the real venue "
          + venueKind + "; only dry=true is allowed unless the venue is a simulator", "dry", Map.of("venue", venueKind)));
    }
    return new Plan(simulatorVenue && !shadowMode ? ORDER_PATH : SHADOW_PATH, null);
  }

  /** One run of {@code ordersPerRun} orders, one after the other; each phase is recorded in the canary histogram. */
  public CompletionStage<Outcome> run(boolean dry) {
    Plan plan = plan(dry, simulatorVenue, shadowMode, venueKind);
    if (plan.refusal() != null) return CompletableFuture.completedFuture(new Refused(plan.refusal()));
    if (base == null) {
      return CompletableFuture.completedFuture(new Refused(new Rejection(Rejection.Kind.UNAVAILABLE, "CANARY_NOT_READY",
          "the server is not bound yet", null, Map.of())));
    }
    CompletionStage<List<OrderRun>> runs = CompletableFuture.completedFuture(new ArrayList<>());
    for (int i = 0; i < settings.ordersPerRun(); i++) {
      runs = runs.thenCompose(done -> send(plan.path(), Shape.EXPIRING).thenApply(r -> {
        done.add(r);
        return done;
      }));
    }
    return runs.<Outcome>thenApply(orders -> {
      boolean ok = orders.stream().allMatch(OrderRun::ok);
      for (OrderRun o : orders) o.phasesMs().forEach((phase, ms) -> Metrics.CANARY_DURATION.withTag("phase", phase).record(Math.round(ms * 1e6)));
      Metrics.CANARY_RUNS.withTag("result", ok ? "ok" : "failed").increment();
      OrderRun last = orders.get(orders.size() - 1);
      log.info("event=canary_run ok={} dry={} path={} orders={} lastStatus={} lastTotalMs={} error=\"{}\"", ok, dry, plan.path(), orders.size(),
          last.status(), last.phasesMs().get("total"), last.error());
      return new Run(ok, dry, plan.path(), venueKind, settings.symbol(), settings.strategy(), List.copyOf(orders));
    });
  }

  /** Runs a dry canary every {@code interval} while ready (a run waits for the previous one); no-op when the interval is 0. */
  private void schedule() {
    if (settings.interval().isZero()) return;
    log.info("event=canary_scheduled intervalSec={} symbol={} strategy={}", settings.interval().toSeconds(), settings.symbol(), settings.strategy());
    scheduleNext();
  }

  private void scheduleNext() {
    system.scheduler().scheduleOnce(settings.interval(), () -> {
      CompletionStage<?> run = readiness.isReady() ? run(true) : CompletableFuture.completedFuture(null);
      run.whenComplete((r, e) -> {
        if (e != null) log.warn("event=canary_run ok=false error=\"{}\"", e.toString());
        scheduleNext();
      });
    }, system.executionContext());
  }

  /** One order over loopback HTTP; never fails: a transport error or a refusal is the run's error. */
  CompletionStage<OrderRun> send(String path, Shape shape) {
    String id = "canary-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    byte[] body;
    try {
      body = Json.bytes(orderBody(id, shape, settings, rule, marketData.quote(settings.symbol())));
    } catch (IllegalStateException e) {
      return CompletableFuture.completedFuture(new OrderRun(id, 0, null, null, Map.of(), e.getMessage()));
    }
    HttpRequest request = HttpRequest.newBuilder(base.resolve(path)).timeout(settings.requestTimeout())
        .header(Auth.HEADER, apiKey).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    Instant sent = clock.instant();
    long start = System.nanoTime();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).handle((response, error) -> {
      long roundTrip = System.nanoTime() - start;
      Instant answered = clock.instant();
      if (error != null) return new OrderRun(id, 0, null, null, Map.of("total", nanosToMs(roundTrip)), error.toString());
      return parse(id, path, response.statusCode(), response.body(), sent, answered, roundTrip);
    });
  }

  /**
   * The canary order: IOC LIMIT BUY {@code priceOffsetPct} under the bid, just over the minimum
   * notional; or a MARKET order just over the minimum notional at the ask (both sides the same size).
   */
  static Map<String, Object> orderBody(String clientOrderId, Shape shape, Settings settings, SymbolRule rule, MarketData.Quote quote) {
    if (quote == null || quote.bid() == null || quote.ask() == null) throw new IllegalStateException("no quote for " + settings.symbol());
    BigDecimal price = shape == Shape.EXPIRING
        ? quote.bid().multiply(HUNDRED.subtract(settings.priceOffsetPct())).divide(HUNDRED, 12, RoundingMode.DOWN)
        : quote.ask();
    price = price.divide(rule.tickSize(), 0, RoundingMode.DOWN).multiply(rule.tickSize()).max(rule.tickSize());
    BigDecimal qty = rule.minNotional().multiply(NOTIONAL_MARGIN).divide(price, 12, RoundingMode.UP);
    qty = qty.divide(rule.stepSize(), 0, RoundingMode.UP).multiply(rule.stepSize()).max(rule.minQty());
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("clientOrderId", clientOrderId);
    body.put("symbol", settings.symbol());
    body.put("side", shape == Shape.MARKET_SELL ? "SELL" : "BUY");
    body.put("type", shape == Shape.EXPIRING ? "LIMIT" : "MARKET");
    body.put("quantity", qty.stripTrailingZeros().toPlainString());
    if (shape == Shape.EXPIRING) {
      body.put("timeInForce", "IOC");
      body.put("price", price.stripTrailingZeros().toPlainString());
    }
    body.put("strategy", settings.strategy());
    body.put("respType", "RESULT");
    return body;
  }

  private static OrderRun parse(String id, String path, int status, byte[] bytes, Instant sent, Instant answered, long roundTripNanos) {
    Map<String, Double> phases = new LinkedHashMap<>();
    JsonNode json;
    try {
      json = Json.MAPPER.readTree(bytes);
    } catch (IOException e) {
      phases.put("total", nanosToMs(roundTripNanos));
      return new OrderRun(id, status, null, null, phases, "answer is not JSON (HTTP " + status + ")");
    }
    if (status != 200) {
      phases.put("total", nanosToMs(roundTripNanos));
      JsonNode err = json.path("error");
      return new OrderRun(id, status, json.path("status").asText(null), null, phases,
          "HTTP " + status + " " + err.path("code").asText("") + ": " + err.path("message").asText(json.toString()));
    }
    String orderStatus = json.path("status").asText(null);
    if (path.equals(ORDER_PATH)) {
      JsonNode t = json.path("timestamps");
      Instant received = instant(t, "received");
      Instant accepted = instant(t, "accepted");
      Instant venueSent = instant(t, "sent");
      Instant acknowledged = instant(t, "acknowledged");
      // http + JSON + auth + guard chain | routing to the entity | OrderAccepted journaled + batcher queue and linger
      // | the venue call | the ack and final events journaled + the reply back over HTTP
      between(phases, "http_guards", sent, received);
      between(phases, "entity", received, accepted);
      between(phases, "journal_batch", accepted, venueSent);
      between(phases, "venue", venueSent, acknowledged);
      between(phases, "final", acknowledged, answered);
    } else {
      Instant recorded = instant(json, "at");
      between(phases, "http_guards", sent, recorded);
      between(phases, "shadow_journal", recorded, answered);
    }
    phases.put("total", nanosToMs(roundTripNanos));
    boolean isFinal = orderStatus != null && Set.of("FILLED", "CANCELED", "REJECTED", "EXPIRED").contains(orderStatus);
    return new OrderRun(id, status, orderStatus, json.path("venueOrderId").asText(null), phases,
        isFinal ? null : "order is " + orderStatus + ", not final");
  }

  private static Instant instant(JsonNode node, String field) {
    JsonNode v = node.path(field);
    return v.isTextual() ? Instant.parse(v.asText()) : null;
  }

  /** Both ends on the same wall clock of this process; a clock step backwards shows as 0. */
  private static void between(Map<String, Double> phases, String phase, Instant from, Instant to) {
    if (from != null && to != null) phases.put(phase, nanosToMs(Math.max(0, Duration.between(from, to).toNanos())));
  }

  private static double nanosToMs(long nanos) {
    return Math.round(nanos / 1_000.0) / 1_000.0;
  }
}
