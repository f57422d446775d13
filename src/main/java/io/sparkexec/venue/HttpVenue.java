package io.sparkexec.venue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import io.sparkexec.metrics.Metrics;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.Connection;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The venue over HTTP, Binance spot's dialect (docs/venue-sim.md): a keep-alive connection pool,
 * signed requests stamped with the venue's clock, a per-call timeout, a client-side rate limiter
 * that delays calls instead of failing them, and execution reports from the user-data stream
 * (polling while it is down). Submit never fails: a transport error, a timeout or an answer that
 * cannot be read is {@link Unknown}, and the order entity asks the venue before any resubmit.
 * The only retries here are of calls the venue said it did not execute (429/418, a stale
 * timestamp), and they carry the same clientOrderId.
 */
public final class HttpVenue implements Venue, MarketData {

  private static final Logger log = LoggerFactory.getLogger(HttpVenue.class);
  private static final String API_KEY_HEADER = "X-MBX-APIKEY";
  // Binance error codes (docs/venue-sim.md)
  private static final int TIMESTAMP_OUTSIDE_RECV_WINDOW = -1021;
  private static final int UNKNOWN_ORDER_ON_CANCEL = -2011;
  private static final int NO_SUCH_ORDER = -2013;

  public record Settings(
      String url,
      String apiKey,
      String apiSecret,
      boolean keepAlive,
      int maxSockets,
      Duration keepAliveTimeout,
      Duration callTimeout,
      long recvWindowMs,
      Duration clockSyncInterval,
      int maxBatchOrders,
      int batchParallelism,
      Duration bookTickerInterval,
      Duration startRetry,
      double rateLimitHeadroom,
      int rateLimitMaxRetries,
      UserDataStream.Settings userStream) {

    public static Settings fromConfig(Config http) {
      return new Settings(
          http.getString("url").replaceAll("/+$", ""),
          http.getString("api-key"),
          http.getString("api-secret"),
          http.getBoolean("keep-alive"),
          http.getInt("keep-alive-max-sockets"),
          Duration.ofMillis(http.getLong("keep-alive-timeout-ms")),
          Duration.ofMillis(http.getLong("call-timeout-ms")),
          http.getLong("recv-window-ms"),
          http.getDuration("clock-sync-interval"),
          http.getInt("max-batch-orders"),
          http.getInt("batch-parallelism"),
          http.getDuration("book-ticker-interval"),
          http.getDuration("start-retry"),
          http.getDouble("rate-limit.headroom"),
          http.getInt("rate-limit.max-retries"),
          UserDataStream.Settings.fromConfig(http.getConfig("user-stream")));
    }

    /** Never prints the secret (nor the key). */
    @Override
    public String toString() {
      return "HttpVenue.Settings[url=" + url + ", keepAlive=" + keepAlive + ", maxSockets=" + maxSockets + ", keepAliveTimeout="
          + keepAliveTimeout + ", callTimeout=" + callTimeout + "]";
    }
  }

  /** What the venue says about itself at start-up (exchangeInfo): its symbols with their filters, in its order. */
  public record Info(boolean simulator, int weightPerSecond, int ordersPerSecond, Map<String, SymbolRule.Filters> filters) {
    public List<String> symbols() {
      return List.copyOf(filters.keySet());
    }
  }

  /** One HTTP answer, read in full. */
  record Answer(int status, String body, Optional<String> retryAfter) {
    boolean ok() {
      return status == 200;
    }

    JsonNode json() {
      return BinanceWire.parse(body);
    }

    BinanceWire.VenueError error() {
      try {
        return BinanceWire.error(json());
      } catch (RuntimeException e) {
        return null;
      }
    }
  }

  private final Settings settings;
  private final ActorSystem<?> system;
  private final Materializer materializer;
  private final Http http;
  private final ConnectionPoolSettings pool;
  private final HttpsConnectionContext tls;
  private final LoggingAdapter poolLog;
  private final PoolTransport transport = new PoolTransport();
  private final Signing signing;
  private final ClockOffset clockOffset;
  private final RateLimiter limiter;
  private final Map<String, Quote> quotes = new ConcurrentHashMap<>();
  private final List<Consumer<VenueOrderReport>> listeners = new CopyOnWriteArrayList<>();
  // orders this venue link saw open (clientOrderId -> symbol): what the poll fallback asks about
  private final Map<String, String> inFlight = new ConcurrentHashMap<>();
  private volatile Cancellable clockSync;
  private volatile Cancellable bookTicker;
  private final UserDataStream userStream;
  private volatile boolean simulator;
  private volatile boolean stopped;

  public HttpVenue(Settings settings, ActorSystem<?> system, Clock clock) {
    this.settings = settings;
    this.system = system;
    this.materializer = Materializer.matFromSystem(system);
    this.http = Http.get(system.classicSystem());
    this.signing = new Signing(settings.apiSecret());
    this.clockOffset = new ClockOffset(clock);
    this.limiter = new RateLimiter(settings.rateLimitHeadroom(), System::nanoTime);
    this.tls = http.defaultClientHttpsContext();
    this.poolLog = Logging.getLogger(system.classicSystem(), HttpVenue.class);
    ConnectionPoolSettings defaults = ConnectionPoolSettings.create(system.classicSystem());
    this.pool = defaults
        .withMaxConnections(settings.maxSockets())
        .withMaxOpenRequests(Integer.highestOneBit(Math.max(32, settings.maxSockets() * 4)) * 2)
        .withKeepAliveTimeout(settings.keepAliveTimeout())
        .withTransport(transport);
    this.userStream = new UserDataStream(settings.userStream(), this, system);
  }

  /**
   * Measures the clock offset, reads exchangeInfo (rate limits, whether the venue is a
   * simulator), then starts the book-ticker refresh and the user-data stream. Completes with the
   * venue's info, or fails when the venue cannot be reached (the caller retries).
   */
  public CompletionStage<Info> start() {
    return syncClock().thenCompose(v -> call(Endpoint.EXCHANGE_INFO, HttpMethods.GET, "/api/v3/exchangeInfo", new LinkedHashMap<>(), Auth.NONE, 20, 0))
        .thenApply(answer -> {
          if (!answer.ok()) throw new IllegalStateException("exchangeInfo answered " + answer.status() + ": " + BinanceWire.abbreviate(answer.body()));
          JsonNode info = answer.json();
          int weight = 0;
          int orders = 0;
          for (JsonNode limit : info.path("rateLimits")) {
            int perSecond = perSecond(limit);
            if ("REQUEST_WEIGHT".equals(limit.path("rateLimitType").asText())) weight = perSecond;
            if ("ORDERS".equals(limit.path("rateLimitType").asText())) orders = perSecond;
          }
          limiter.configure(weight, orders);
          simulator = info.path("simulator").asBoolean(false);
          Map<String, SymbolRule.Filters> filters = new LinkedHashMap<>();
          for (JsonNode s : info.path("symbols")) filters.put(s.path("symbol").asText(), BinanceWire.filters(s));
          return new Info(simulator, weight, orders, Collections.unmodifiableMap(filters));
        })
        .thenCompose(info -> refreshBookTicker().handle((v, e) -> info))
        .thenApply(info -> {
          if (!stopped) {
            clockSync = system.scheduler().scheduleWithFixedDelay(settings.clockSyncInterval(), settings.clockSyncInterval(),
                this::syncClockInBackground, system.executionContext());
            scheduleBookTicker();
            userStream.start();
          }
          log.info("event=venue_http_started url={} simulator={} weightPerSecond={} ordersPerSecond={} symbols={} clockOffsetMs={} keepAlive={} maxSockets={}",
              settings.url(), info.simulator(), info.weightPerSecond(), info.ordersPerSecond(), info.symbols(), clockOffset.offsetMillis(),
              settings.keepAlive(), settings.maxSockets());
          return info;
        });
  }

  /** Stops the timers and the user-data stream, then closes the pool's connections. */
  public CompletionStage<Done> stop() {
    stopped = true;
    if (clockSync != null) clockSync.cancel();
    if (bookTicker != null) bookTicker.cancel();
    userStream.stop();
    return http.shutdownAllConnectionPools().thenApply(v -> Done.getInstance());
  }

  private static int perSecond(JsonNode limit) {
    int n = Math.max(1, limit.path("intervalNum").asInt(1));
    long seconds = switch (limit.path("interval").asText("SECOND")) {
      case "MINUTE" -> 60L * n;
      case "HOUR" -> 3600L * n;
      case "DAY" -> 86400L * n;
      default -> n;
    };
    return (int) Math.max(1, limit.path("limit").asLong() / seconds);
  }

  // ---- Venue ----

  @Override
  public boolean isSimulator() {
    return simulator;
  }

  @Override
  public Quote quote(String symbol) {
    return quotes.get(symbol);
  }

  @Override
  public void onExecutionReport(Consumer<VenueOrderReport> listener) {
    listeners.add(listener);
  }

  @Override
  public CompletionStage<List<SubmitResult>> submit(List<VenueOrder> orders) {
    if (orders.isEmpty()) return CompletableFuture.completedFuture(List.of());
    if (orders.size() <= settings.maxBatchOrders()) return submitCall(orders);
    List<List<VenueOrder>> chunks = new ArrayList<>();
    for (int i = 0; i < orders.size(); i += settings.maxBatchOrders()) {
      chunks.add(orders.subList(i, Math.min(orders.size(), i + settings.maxBatchOrders())));
    }
    return Source.from(chunks)
        .mapAsync(settings.batchParallelism(), this::submitCall)
        .runWith(Sink.fold(new ArrayList<SubmitResult>(orders.size()), (all, part) -> {
          all.addAll(part);
          return all;
        }), materializer)
        .thenApply(List::<SubmitResult>copyOf);
  }

  /** One venue call for up to max-batch-orders orders: POST /order for one, /batchOrders for more. */
  private CompletionStage<List<SubmitResult>> submitCall(List<VenueOrder> orders) {
    Map<String, String> params = new LinkedHashMap<>();
    Endpoint endpoint;
    String path;
    if (orders.size() == 1) {
      BinanceWire.putOrder(params, orders.get(0));
      endpoint = Endpoint.ORDER;
      path = "/api/v3/order";
    } else {
      params.put("batchOrders", BinanceWire.batch(orders));
      endpoint = Endpoint.BATCH_ORDERS;
      path = "/api/v3/batchOrders";
    }
    return call(endpoint, HttpMethods.POST, path, params, Auth.SIGNED, orders.size(), orders.size())
        .handle((answer, error) -> {
          if (error != null) return unknownAll(orders, describe(error));
          try {
            return submitResults(orders, answer);
          } catch (RuntimeException e) {
            // the venue answered, but not in a way we can read: what it did is unknown
            return unknownAll(orders, "unreadable answer " + answer.status() + ": " + e.getMessage());
          }
        });
  }

  private List<SubmitResult> submitResults(List<VenueOrder> orders, Answer answer) {
    if (answer.ok()) {
      JsonNode body = answer.json();
      if (orders.size() == 1) return List.of(placed(orders.get(0), body));
      if (!body.isArray() || body.size() != orders.size()) {
        return unknownAll(orders, "batchOrders answered " + body.size() + " elements for " + orders.size() + " orders");
      }
      List<SubmitResult> results = new ArrayList<>(orders.size());
      for (int i = 0; i < orders.size(); i++) results.add(placed(orders.get(i), body.get(i)));
      return results;
    }
    BinanceWire.VenueError error = answer.error();
    if (refusal(answer.status()) && error != null) {
      List<SubmitResult> refused = new ArrayList<>(orders.size());
      for (VenueOrder o : orders) refused.add(new Refused(o.clientOrderId(), "venue refused: " + error));
      return refused;
    }
    return unknownAll(orders, "venue answered " + answer.status() + ": " + BinanceWire.abbreviate(answer.body()));
  }

  /** One order's element of a place answer: the order, or an error object. */
  private SubmitResult placed(VenueOrder order, JsonNode element) {
    BinanceWire.VenueError error = BinanceWire.error(element);
    if (error != null) {
      // codes -1000..-1007 are the venue's own trouble (unknown, disconnected, timeout): outcome unknown
      if (error.code() <= -1000 && error.code() >= -1007) return new Unknown(order.clientOrderId(), "venue: " + error);
      return new Refused(order.clientOrderId(), "venue refused: " + error);
    }
    VenueOrderReport report = BinanceWire.order(element);
    track(report);
    return new Acknowledged(report);
  }

  private static List<SubmitResult> unknownAll(List<VenueOrder> orders, String why) {
    List<SubmitResult> unknown = new ArrayList<>(orders.size());
    for (VenueOrder o : orders) unknown.add(new Unknown(o.clientOrderId(), why));
    return unknown;
  }

  /** 4xx but the rate limits: the venue looked at the request and did not execute it. */
  private static boolean refusal(int status) {
    return status >= 400 && status < 500 && status != 429 && status != 418 && status != 408;
  }

  @Override
  public CompletionStage<CancelResult> cancel(String symbol, String clientOrderId) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("symbol", symbol);
    params.put("origClientOrderId", clientOrderId);
    return call(Endpoint.CANCEL, HttpMethods.DELETE, "/api/v3/order", params, Auth.SIGNED, 1, 0)
        .<CompletionStage<CancelResult>>handle((answer, error) -> {
          if (error != null) return CompletableFuture.completedFuture(new CancelUnknown(describe(error)));
          try {
            if (answer.ok()) {
              VenueOrderReport report = BinanceWire.order(answer.json());
              track(report);
              return CompletableFuture.completedFuture(new Canceled(report));
            }
            BinanceWire.VenueError e = answer.error();
            if (e != null && e.code() == UNKNOWN_ORDER_ON_CANCEL && refusal(answer.status())) {
              // already final there: the entity wants the final state (fills, status), so fetch it
              return query(symbol, clientOrderId).handle((found, queryError) ->
                  new CancelRefused(e.msg(), found == null ? null : found.orElse(null)));
            }
            return CompletableFuture.completedFuture(new CancelUnknown("venue answered " + answer.status() + ": " + BinanceWire.abbreviate(answer.body())));
          } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(new CancelUnknown("unreadable answer: " + e.getMessage()));
          }
        })
        .thenCompose(stage -> stage);
  }

  @Override
  public CompletionStage<Optional<VenueOrderReport>> query(String symbol, String clientOrderId) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("symbol", symbol);
    params.put("origClientOrderId", clientOrderId);
    return call(Endpoint.QUERY, HttpMethods.GET, "/api/v3/order", params, Auth.SIGNED, 4, 0).thenApply(answer -> {
      if (answer.ok()) {
        VenueOrderReport report = BinanceWire.order(answer.json());
        track(report);
        return Optional.of(report);
      }
      BinanceWire.VenueError e = answer.error();
      if (e != null && e.code() == NO_SUCH_ORDER) {
        inFlight.remove(clientOrderId);
        return Optional.empty();
      }
      throw new IllegalStateException("query answered " + answer.status() + ": " + BinanceWire.abbreviate(answer.body()));
    });
  }

  @Override
  public CompletionStage<List<VenueOrderReport>> openOrders() {
    return call(Endpoint.OPEN_ORDERS, HttpMethods.GET, "/api/v3/openOrders", new LinkedHashMap<>(), Auth.SIGNED, 80, 0).thenApply(answer -> {
      if (!answer.ok()) throw new IllegalStateException("openOrders answered " + answer.status() + ": " + BinanceWire.abbreviate(answer.body()));
      List<VenueOrderReport> open = new ArrayList<>();
      for (JsonNode n : answer.json()) open.add(BinanceWire.order(n));
      return List.copyOf(open);
    });
  }

  // ---- what the user-data stream and its poll fallback use ----

  /** Pushes a report to the listeners and keeps the in-flight set current. */
  void publish(VenueOrderReport report) {
    track(report);
    for (Consumer<VenueOrderReport> listener : listeners) listener.accept(report);
  }

  /** The orders this link saw open and not yet final: clientOrderId -> symbol. */
  Map<String, String> inFlight() {
    return Map.copyOf(inFlight);
  }

  void forget(String clientOrderId) {
    inFlight.remove(clientOrderId);
  }

  private void track(VenueOrderReport report) {
    if (report.status().isFinal()) inFlight.remove(report.clientOrderId());
    else inFlight.put(report.clientOrderId(), report.symbol());
  }

  CompletionStage<Answer> userStreamCall(HttpMethod method, Map<String, String> params) {
    return call(Endpoint.USER_STREAM, method, "/api/v3/userDataStream", params, Auth.KEY_ONLY, 2, 0);
  }

  String webSocketUrl(String listenKey) {
    return settings.url().replaceFirst("^http", "ws") + "/ws/" + listenKey;
  }

  boolean stopped() {
    return stopped;
  }

  public PoolTransport.Stats poolStats() {
    return transport.stats();
  }

  public boolean userStreamConnected() {
    return userStream.connected();
  }

  /** Drops the user-data connection as a network fault would (tests); it reconnects on its own. */
  void dropUserStream() {
    userStream.disconnect();
  }

  // ---- market data ----

  private void scheduleBookTicker() {
    if (stopped) return;
    bookTicker = system.scheduler().scheduleOnce(settings.bookTickerInterval(),
        () -> refreshBookTicker().whenComplete((v, e) -> scheduleBookTicker()), system.executionContext());
  }

  private CompletionStage<Void> refreshBookTicker() {
    return call(Endpoint.BOOK_TICKER, HttpMethods.GET, "/api/v3/ticker/bookTicker", new LinkedHashMap<>(), Auth.NONE, 4, 0).thenAccept(answer -> {
      if (!answer.ok()) return;
      Instant now = Instant.now();
      for (JsonNode t : answer.json()) {
        String symbol = t.path("symbol").asText();
        quotes.put(symbol, new Quote(symbol, new BigDecimal(t.path("bidPrice").asText()), new BigDecimal(t.path("askPrice").asText()), now));
      }
    });
  }

  // ---- calls (weights as the venue counts them, docs/venue-sim.md) ----

  private enum Auth {
    NONE,
    KEY_ONLY,
    SIGNED
  }

  private enum Endpoint {
    TIME("time"),
    EXCHANGE_INFO("exchange_info"),
    BOOK_TICKER("book_ticker"),
    ORDER("order"),
    BATCH_ORDERS("batch_orders"),
    CANCEL("cancel"),
    QUERY("query"),
    OPEN_ORDERS("open_orders"),
    USER_STREAM("user_stream");

    final String label;

    Endpoint(String label) {
      this.label = label;
    }
  }

  private void syncClockInBackground() {
    syncClock().whenComplete((v, e) -> {
      if (e != null) log.warn("event=venue_clock_sync_failed error=\"{}\"", describe(e));
    });
  }

  private CompletionStage<Void> syncClock() {
    long sentAt = clockOffset.localMillis();
    return call(Endpoint.TIME, HttpMethods.GET, "/api/v3/time", new LinkedHashMap<>(), Auth.NONE, 1, 0).thenAccept(answer -> {
      if (!answer.ok()) throw new IllegalStateException("time answered " + answer.status());
      clockOffset.update(sentAt, answer.json().path("serverTime").asLong(), clockOffset.localMillis());
      log.debug("event=venue_clock_synced offsetMs={} roundTripMs={}", clockOffset.offsetMillis(), clockOffset.roundTripMillis());
    });
  }

  /**
   * One call: waits for the rate limiter, sends, and sends again (same parameters, new timestamp)
   * only when the venue said it did not execute it — 429/418 after their Retry-After, a stale
   * timestamp after a clock resync. Fails on transport errors and timeouts.
   */
  private CompletionStage<Answer> call(Endpoint endpoint, HttpMethod method, String path, Map<String, String> params, Auth auth, int weight, int orders) {
    return attempt(endpoint, method, path, params, auth, weight, orders, 0);
  }

  private CompletionStage<Answer> attempt(Endpoint endpoint, HttpMethod method, String path, Map<String, String> params, Auth auth,
      int weight, int orders, int retries) {
    return limiter.acquire(weight, orders, system.scheduler(), system.executionContext())
        .thenCompose(v -> send(endpoint, method, path, params, auth))
        .thenCompose(answer -> {
          boolean again = retries < settings.rateLimitMaxRetries() && !stopped;
          if (answer.status() == 429 || answer.status() == 418) {
            Duration wait = retryAfter(answer);
            limiter.backOff(wait);
            Metrics.VENUE_RATE_LIMITED.withTag("status", String.valueOf(answer.status())).increment();
            log.warn("event=venue_rate_limited status={} endpoint={} retryAfterMs={} retry={}", answer.status(), endpoint.label, wait.toMillis(), again);
            if (again) return attempt(endpoint, method, path, params, auth, weight, orders, retries + 1);
          } else if (auth == Auth.SIGNED && answer.status() == 400 && again) {
            BinanceWire.VenueError e = answer.error();
            if (e != null && e.code() == TIMESTAMP_OUTSIDE_RECV_WINDOW) {
              log.warn("event=venue_timestamp_refused endpoint={} clockOffsetMs={} action=resync", endpoint.label, clockOffset.offsetMillis());
              return syncClock().thenCompose(s -> attempt(endpoint, method, path, params, auth, weight, orders, retries + 1));
            }
          }
          return CompletableFuture.completedFuture(answer);
        });
  }

  private static Duration retryAfter(Answer answer) {
    try {
      return Duration.ofSeconds(Math.max(1, Long.parseLong(answer.retryAfter().orElse("1").trim())));
    } catch (NumberFormatException e) {
      return Duration.ofSeconds(1);
    }
  }

  private CompletionStage<Answer> send(Endpoint endpoint, HttpMethod method, String path, Map<String, String> params, Auth auth) {
    String query;
    if (auth == Auth.SIGNED) {
      Map<String, String> signed = new LinkedHashMap<>(params);
      signed.put("recvWindow", Long.toString(settings.recvWindowMs()));
      signed.put("timestamp", Long.toString(clockOffset.venueMillis()));
      String payload = BinanceWire.query(signed);
      query = payload + "&signature=" + signing.sign(payload);
    } else {
      query = BinanceWire.query(params);
    }
    HttpRequest request = HttpRequest.create(settings.url() + path + (query.isEmpty() ? "" : "?" + query)).withMethod(method);
    if (auth != Auth.NONE) request = request.addHeader(RawHeader.create(API_KEY_HEADER, settings.apiKey()));
    if (!settings.keepAlive()) request = request.addHeader(Connection.create("close"));
    long started = System.nanoTime();
    CompletableFuture<Answer> answer = new CompletableFuture<>();
    Cancellable timeout = system.scheduler().scheduleOnce(settings.callTimeout(),
        () -> answer.completeExceptionally(new TimeoutException("no answer within " + settings.callTimeout().toMillis() + " ms")),
        system.executionContext());
    http.singleRequest(request, tls, pool, poolLog)
        .thenCompose(this::read)
        .whenComplete((a, e) -> {
          timeout.cancel();
          if (e == null) answer.complete(a);
          else answer.completeExceptionally(e);
        });
    return answer.whenComplete((a, e) -> Metrics.VENUE_CALL_DURATION
        .withTag("endpoint", endpoint.label).withTag("outcome", outcome(a, e)).record(System.nanoTime() - started));
  }

  private CompletionStage<Answer> read(HttpResponse response) {
    transport.answered();
    return response.entity().toStrict(settings.callTimeout().toMillis(), materializer)
        .thenApply(strict -> new Answer(response.status().intValue(), strict.getData().utf8String(),
            response.getHeader("Retry-After").map(h -> h.value())));
  }

  private static String outcome(Answer a, Throwable e) {
    if (e != null) return unwrap(e) instanceof TimeoutException ? "timeout" : "error";
    if (a.status() == 200) return "ok";
    if (a.status() == 429 || a.status() == 418) return "rate_limited";
    return a.status() < 500 ? "refused" : "error";
  }

  private static Throwable unwrap(Throwable e) {
    return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
  }

  static String describe(Throwable e) {
    Throwable cause = unwrap(e);
    return cause.getClass().getSimpleName() + ": " + cause.getMessage();
  }
}
