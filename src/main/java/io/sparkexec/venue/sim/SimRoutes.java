package io.sparkexec.venue.sim;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.entity;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.handleWebSocketMessages;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.put;
import static org.apache.pekko.http.javadsl.server.Directives.toStrictEntity;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.Json;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.Signing;
import io.sparkexec.venue.SimulatedVenue;
import io.sparkexec.venue.SymbolRule;
import io.sparkexec.venue.TimeInForce;
import io.sparkexec.venue.Venue;
import io.sparkexec.venue.Venue.VenueOrder;
import io.sparkexec.venue.Venue.VenueOrderReport;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.Query;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The simulator's HTTP API (docs/venue-sim.md): Binance spot's REST subset, the user-data
 * WebSocket and our /sim endpoints. Every call is weighed against the rate limits first, then
 * checked (API key, signature, timestamp) as its endpoint requires; nothing here blocks.
 */
final class SimRoutes {

  private static final Logger log = LoggerFactory.getLogger(SimRoutes.class);
  static final String API_KEY_HEADER = "X-MBX-APIKEY";
  static final String USED_WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1S";
  private static final long DEFAULT_RECV_WINDOW = 5000;
  private static final long MAX_RECV_WINDOW = 60_000;
  private static final long MAX_CLOCK_AHEAD = 1000;
  private static final Pattern DECIMAL = Pattern.compile("^([0-9]{1,20})(\\.[0-9]{1,20})?$");
  private static final Pattern CLIENT_ORDER_ID = Pattern.compile("^[.A-Z:/a-z0-9_-]{1,36}$");
  /** Decimals of an asset amount (balances, commissions), as Binance publishes them. */
  private static final int ASSET_PRECISION = 8;
  private static final int DEFAULT_PAGE = 500;
  private static final int MAX_PAGE = 1000;
  private static final List<Integer> DEPTH_LIMITS = List.of(5, 10, 20, 50, 100, 500, 1000, 5000);

  private enum Access {
    PUBLIC,
    API_KEY,
    SIGNED
  }

  /** A place request's fields, or the error that refuses it (exactly one is set). */
  private record ParsedOrder(VenueOrder order, BinanceFormat.Error error) {}

  private final VenueSimSettings settings;
  private final SimulatedVenue venue;
  private final SimulatedVenue.Settings venueSettings;
  private final SimLedger ledger;
  private final History history;
  private final Account account;
  private final Map<String, SymbolRule> rules;
  private final RateLimits limits;
  private final Signing signing;
  private final UserDataStreams streams;
  private final ActorSystem<?> system;
  private final Clock clock;
  private final AtomicReference<Faults> faults = new AtomicReference<>(Faults.NONE);

  SimRoutes(VenueSimSettings settings, SimulatedVenue venue, SimulatedVenue.Settings venueSettings, SimLedger ledger, History history,
      Account account, Map<String, SymbolRule> rules, UserDataStreams streams, ActorSystem<?> system, Clock clock) {
    this.settings = settings;
    this.venue = venue;
    this.venueSettings = venueSettings;
    this.ledger = ledger;
    this.history = history;
    this.account = account;
    this.rules = rules;
    this.limits = new RateLimits(settings.rateLimits());
    this.signing = new Signing(settings.apiSecret());
    this.streams = streams;
    this.system = system;
    this.clock = clock;
    // resting orders' fills reach the user-data stream once durable (SimulatedVenue delivers them so)
    venue.onExecutionReport(report -> pushReport(report, "TRADE"));
  }

  Route route() {
    return concat(
        pathPrefix("api", () -> pathPrefix("v3", this::api)),
        pathPrefix("ws", () -> path(PathMatchers.segment(), this::userStream)),
        pathPrefix("sim", this::inspection))
        .seal(rejections(), ExceptionHandler.newBuilder().match(RuntimeException.class, e -> {
          log.error("event=venue_sim_request_failed error=\"{}\"", e.toString(), e);
          return complete(internalError());
        }).build());
  }

  /** Binance's endpoints, with their request weights. */
  private Route api() {
    return concat(
        path("ping", () -> get(() -> call(Access.PUBLIC, q -> 1, q -> 0, q -> done(Json.ok(Map.of()))))),
        path("time", () -> get(() -> call(Access.PUBLIC, q -> 1, q -> 0, q -> done(Json.ok(Map.of("serverTime", clock.millis())))))),
        path("exchangeInfo", () -> get(() -> call(Access.PUBLIC, q -> 20, q -> 0, q -> done(Json.ok(exchangeInfo()))))),
        pathPrefix("ticker", () -> concat(
            path("bookTicker", () -> get(() -> call(Access.PUBLIC, q -> q.get("symbol").isPresent() ? 2 : 4, q -> 0, this::bookTicker))),
            path("24hr", () -> get(() -> call(Access.PUBLIC, q -> q.get("symbol").isPresent() ? 2 : 80, q -> 0, q -> perSymbol(q, this::ticker24hr)))),
            path("price", () -> get(() -> call(Access.PUBLIC, q -> q.get("symbol").isPresent() ? 2 : 4, q -> 0, q -> perSymbol(q, this::tickerPrice)))))),
        path("depth", () -> get(() -> call(Access.PUBLIC, SimRoutes::depthWeight, q -> 0, this::depth))),
        path("account", () -> get(() -> call(Access.SIGNED, q -> 20, q -> 0, this::account))),
        path("myTrades", () -> get(() -> call(Access.SIGNED, q -> q.get("orderId").isPresent() ? 5 : 20, q -> 0, this::myTrades))),
        path("allOrders", () -> get(() -> call(Access.SIGNED, q -> 20, q -> 0, this::allOrders))),
        path("order", () -> concat(
            post(() -> call(Access.SIGNED, q -> 1, q -> 1, this::place)),
            delete(() -> call(Access.SIGNED, q -> 1, q -> 0, this::cancel)),
            get(() -> call(Access.SIGNED, q -> 4, q -> 0, this::query)))),
        path("batchOrders", () -> post(() -> call(Access.SIGNED, this::batchSize, this::batchSize, this::placeBatch))),
        path("openOrders", () -> concat(
            get(() -> call(Access.SIGNED, q -> q.get("symbol").isPresent() ? 6 : 80, q -> 0, this::openOrders)),
            delete(() -> call(Access.SIGNED, q -> 1, q -> 0, this::cancelOpenOrders)))),
        path("userDataStream", () -> concat(
            post(() -> call(Access.API_KEY, q -> 2, q -> 0, q -> done(Json.ok(Map.of("listenKey", streams.newListenKey(clock.millis())))))),
            put(() -> call(Access.API_KEY, q -> 2, q -> 0, this::keepAlive)),
            delete(() -> call(Access.API_KEY, q -> 2, q -> 0, this::closeListenKey)))));
  }

  /** Ours, unsigned and unlimited: what the simulator saw, and fault injection for tests. */
  private Route inspection() {
    return concat(
        path("submissions", () -> get(() -> complete(Json.ok(ledger.submissions())))),
        path("attempts", () -> get(() -> complete(Json.ok(ledger.attempts())))),
        path("faults", () -> concat(
            get(() -> complete(Json.ok(faults.get()))),
            post(() -> entity(Unmarshaller.entityToString(), this::setFaults)))));
  }

  // ---- the common part of every API call: limits, then access checks ----

  /**
   * Binance takes a request's parameters from the query string, an
   * application/x-www-form-urlencoded body, or both (a signature then covers the query string
   * followed by the body); the body is read strictly, bounded in size and time.
   */
  private Route call(Access access, ToIntFunction<Query> weight, ToIntFunction<Query> orders, Function<Query, CompletionStage<HttpResponse>> handler) {
    return extractRequest(declared -> declared.entity().getContentLengthOption().orElse(0) > settings.maxBodyBytes()
        ? complete(BinanceFormat.error(413, -1000, "Request body larger than " + settings.maxBodyBytes() + " bytes."))
        : toStrictEntity(settings.bodyReadTimeout(), settings.maxBodyBytes(),
            () -> extractRequest(request -> completeWithFuture(handle(request, access, weight, orders, handler)))));
  }

  private static String formBody(HttpRequest request) {
    if (!(request.entity() instanceof HttpEntity.Strict strict) || strict.getData().isEmpty()) return "";
    if (!strict.getContentType().mediaType().equals(MediaTypes.APPLICATION_X_WWW_FORM_URLENCODED)) return "";
    return strict.getData().utf8String();
  }

  private CompletionStage<HttpResponse> handle(HttpRequest request, Access access, ToIntFunction<Query> weight, ToIntFunction<Query> orders,
      Function<Query, CompletionStage<HttpResponse>> handler) {
    long now = clock.millis();
    String rawQuery = request.getUri().rawQueryString().orElse("");
    String body = formBody(request);
    Query query = Query.create(rawQuery.isEmpty() ? body : body.isEmpty() ? rawQuery : rawQuery + "&" + body);
    String key = request.getHeader(API_KEY_HEADER).map(HttpHeader::value).orElse(null);
    // unknown keys share the anonymous budget, so made-up keys cannot grow the limiter's table
    String account = settings.apiKey().equals(key) ? key : "anonymous";
    RateLimits.Verdict verdict = limits.admit(account, weight.applyAsInt(query), orders.applyAsInt(query), now);
    RawHeader used = RawHeader.create(USED_WEIGHT_HEADER, String.valueOf(verdict.usedWeight()));
    if (verdict instanceof RateLimits.Banned banned) {
      return done(BinanceFormat.error(418, -1003, "Way too many requests; banned for " + banned.retryAfterSeconds() + " s after being told to wait.")
          .addHeader(RetryAfter.create((long) banned.retryAfterSeconds())).addHeader(used));
    }
    if (verdict instanceof RateLimits.Limited limited) {
      return done(BinanceFormat.error(429, -1003, "Too many requests; " + limited.limit() + " limit exceeded, retry after " + limited.retryAfterSeconds() + " s.")
          .addHeader(RetryAfter.create((long) limited.retryAfterSeconds())).addHeader(used));
    }
    HttpResponse refused = access == Access.PUBLIC ? null : refusal(rawQuery, body, query, key, access, now);
    CompletionStage<HttpResponse> answer = refused != null ? done(refused) : handler.apply(query);
    return answer.exceptionally(error -> {
      log.error("event=venue_sim_request_failed path={} error=\"{}\"", request.getUri().path(), error.toString());
      return internalError();
    }).thenApply(r -> r.addHeader(used));
  }

  /** Why this call may not proceed (key, signature, timestamp), or null. */
  private HttpResponse refusal(String rawQuery, String body, Query query, String key, Access access, long now) {
    if (!settings.apiKey().equals(key)) return BinanceFormat.error(401, -2015, "Invalid API-key, IP, or permissions for action.");
    if (access == Access.API_KEY) return null;
    Optional<String> signature = query.get("signature");
    if (signature.isEmpty()) return mandatory("signature");
    // Binance's totalParams: the query string, then the body, each without its signature pair
    if (!signing.verify(withoutSignature(rawQuery) + withoutSignature(body), signature.get())) {
      return BinanceFormat.error(400, -1022, "Signature for this request is not valid.");
    }
    Optional<String> timestamp = query.get("timestamp");
    if (timestamp.isEmpty()) return mandatory("timestamp");
    Long ts = number(timestamp.get());
    if (ts == null) return illegal("timestamp", "^[0-9]{1,20}$");
    long recvWindow = DEFAULT_RECV_WINDOW;
    Optional<String> window = query.get("recvWindow");
    if (window.isPresent()) {
      Long w = number(window.get());
      if (w == null) return illegal("recvWindow", "^[0-9]{1,20}$");
      if (w > MAX_RECV_WINDOW) return BinanceFormat.error(400, -1131, "recvWindow must be less than " + MAX_RECV_WINDOW + ".");
      recvWindow = w;
    }
    if (ts < now - recvWindow || ts > now + MAX_CLOCK_AHEAD) {
      return BinanceFormat.error(400, -1021, "Timestamp for this request is outside of the recvWindow.");
    }
    return null;
  }

  private static String withoutSignature(String raw) {
    if (!raw.contains("signature=")) return raw;
    StringBuilder kept = new StringBuilder(raw.length());
    for (String pair : raw.split("&")) {
      if (pair.startsWith("signature=")) continue;
      if (kept.length() > 0) kept.append('&');
      kept.append(pair);
    }
    return kept.toString();
  }

  // ---- public market data ----

  private Map<String, Object> exchangeInfo() {
    List<Map<String, Object>> symbols = new ArrayList<>();
    for (SymbolRule r : rules.values()) {
      // Binance's field set: stock clients (ccxt) read orderTypes before they place and the filters for precision
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("symbol", r.symbol());
      s.put("status", "TRADING");
      s.put("baseAsset", r.baseAsset());
      s.put("baseAssetPrecision", ASSET_PRECISION);
      s.put("quoteAsset", r.quoteAsset());
      s.put("quotePrecision", ASSET_PRECISION);
      s.put("quoteAssetPrecision", ASSET_PRECISION);
      s.put("baseCommissionPrecision", ASSET_PRECISION);
      s.put("quoteCommissionPrecision", ASSET_PRECISION);
      s.put("orderTypes", List.of("LIMIT", "MARKET"));
      s.put("icebergAllowed", false);
      s.put("ocoAllowed", false);
      s.put("otoAllowed", false);
      s.put("quoteOrderQtyMarketAllowed", true);
      s.put("allowTrailingStop", false);
      s.put("cancelReplaceAllowed", false);
      s.put("isSpotTradingAllowed", true);
      s.put("isMarginTradingAllowed", false);
      s.put("filters", List.of(
          filter("PRICE_FILTER", "minPrice", r.tickSize(), "maxPrice", "0", "tickSize", r.tickSize()),
          filter("LOT_SIZE", "minQty", r.minQty(), "maxQty", r.maxQty(), "stepSize", r.stepSize()),
          filter("NOTIONAL", "minNotional", r.minNotional(), "applyMinToMarket", true, "avgPriceMins", 0),
          filter("MAX_NUM_ORDERS", "maxNumOrders", settings.maxOpenOrders())));
      s.put("permissions", List.of());
      s.put("permissionSets", List.of(List.of("SPOT")));
      s.put("defaultSelfTradePreventionMode", "NONE");
      s.put("allowedSelfTradePreventionModes", List.of("NONE"));
      symbols.add(s);
    }
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("timezone", "UTC");
    info.put("serverTime", clock.millis());
    info.put("simulator", true);
    info.put("rateLimits", List.of(
        rateLimit("REQUEST_WEIGHT", limits.settings().weightPerSecond()),
        rateLimit("ORDERS", limits.settings().ordersPerSecond())));
    info.put("symbols", symbols);
    return info;
  }

  /** A filter object in Binance's field order: filterType, then name/value pairs. */
  private static Map<String, Object> filter(String type, Object... pairs) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("filterType", type);
    for (int i = 0; i < pairs.length; i += 2) f.put((String) pairs[i], pairs[i + 1]);
    return f;
  }

  private static Map<String, Object> rateLimit(String type, int limit) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("rateLimitType", type);
    m.put("interval", "SECOND");
    m.put("intervalNum", 1);
    m.put("limit", limit);
    return m;
  }

  private CompletionStage<HttpResponse> bookTicker(Query q) {
    Optional<String> symbol = q.get("symbol");
    if (symbol.isPresent()) {
      return done(rules.containsKey(symbol.get()) ? Json.ok(ticker(rules.get(symbol.get()))) : invalidSymbol());
    }
    return done(Json.ok(rules.values().stream().map(this::ticker).toList()));
  }

  private Map<String, Object> ticker(SymbolRule rule) {
    var quote = venue.quote(rule.symbol());
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("symbol", rule.symbol());
    t.put("bidPrice", quote.bid());
    t.put("bidQty", rule.touchQty());
    t.put("askPrice", quote.ask());
    t.put("askQty", rule.touchQty());
    return t;
  }

  /** One symbol's answer, or every symbol's as an array; an unknown symbol is -1121. */
  private CompletionStage<HttpResponse> perSymbol(Query q, Function<SymbolRule, Map<String, Object>> answer) {
    Optional<String> symbol = q.get("symbol");
    if (symbol.isPresent()) return done(rules.containsKey(symbol.get()) ? Json.ok(answer.apply(rules.get(symbol.get()))) : invalidSymbol());
    return done(Json.ok(rules.values().stream().map(answer).toList()));
  }

  /** The last trade's price, or the bid before the first trade. */
  private BigDecimal lastPrice(SymbolRule rule) {
    History.Stats st = history.stats(rule.symbol());
    return st != null ? st.last() : venue.quote(rule.symbol()).bid();
  }

  private Map<String, Object> tickerPrice(SymbolRule rule) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("symbol", rule.symbol());
    t.put("price", lastPrice(rule));
    return t;
  }

  /** Statistics over the simulator's own trades since its ledger began (not a rolling 24 h window). */
  private Map<String, Object> ticker24hr(SymbolRule rule) {
    var quote = venue.quote(rule.symbol());
    History.Stats st = history.stats(rule.symbol());
    BigDecimal last = lastPrice(rule);
    BigDecimal open = st != null ? st.open() : last;
    BigDecimal volume = st != null ? st.volume() : BigDecimal.ZERO;
    BigDecimal quoteVolume = st != null ? st.quoteVolume() : BigDecimal.ZERO;
    long now = clock.millis();
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("symbol", rule.symbol());
    t.put("priceChange", last.subtract(open));
    t.put("priceChangePercent", last.subtract(open).multiply(BigDecimal.valueOf(100)).divide(open, 3, RoundingMode.HALF_UP));
    t.put("weightedAvgPrice", volume.signum() == 0 ? last : quoteVolume.divide(volume, rule.tickSize().scale(), RoundingMode.HALF_UP));
    t.put("prevClosePrice", open);
    t.put("lastPrice", last);
    t.put("lastQty", st != null ? st.lastQty() : BigDecimal.ZERO);
    t.put("bidPrice", quote.bid());
    t.put("bidQty", rule.touchQty());
    t.put("askPrice", quote.ask());
    t.put("askQty", rule.touchQty());
    t.put("openPrice", open);
    t.put("highPrice", st != null ? st.high() : last);
    t.put("lowPrice", st != null ? st.low() : last);
    t.put("volume", volume);
    t.put("quoteVolume", quoteVolume);
    t.put("openTime", st != null ? st.openTime() : now);
    t.put("closeTime", now);
    t.put("firstId", st != null ? st.firstId() : -1);
    t.put("lastId", st != null ? st.lastId() : -1);
    t.put("count", st != null ? st.count() : 0);
    return t;
  }

  private static int depthWeight(Query q) {
    int limit = q.get("limit").map(SimRoutes::number).map(Long::intValue).orElse(100);
    return limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250;
  }

  /**
   * The simulated book: the touch, then a level every tick away, each showing the touch size
   * (the matching engine fills at the touch up to touch-qty per tick; see docs/venue-sim.md).
   */
  private CompletionStage<HttpResponse> depth(Query q) {
    Optional<String> symbol = q.get("symbol");
    if (symbol.isEmpty()) return done(mandatory("symbol"));
    SymbolRule rule = rules.get(symbol.get());
    if (rule == null) return done(invalidSymbol());
    Long limit = q.get("limit").map(SimRoutes::number).orElse(100L);
    if (limit == null || !DEPTH_LIMITS.contains(limit.intValue())) return done(illegal("limit", DEPTH_LIMITS.toString()));
    var quote = venue.quote(rule.symbol());
    List<List<BigDecimal>> bids = new ArrayList<>(limit.intValue());
    List<List<BigDecimal>> asks = new ArrayList<>(limit.intValue());
    for (int i = 0; i < limit; i++) {
      BigDecimal away = rule.tickSize().multiply(BigDecimal.valueOf(i));
      if (quote.bid().compareTo(away) > 0) bids.add(List.of(quote.bid().subtract(away), rule.touchQty()));
      asks.add(List.of(quote.ask().add(away), rule.touchQty()));
    }
    Map<String, Object> book = new LinkedHashMap<>();
    book.put("lastUpdateId", quote.time().toEpochMilli());
    book.put("bids", bids);
    book.put("asks", asks);
    return done(Json.ok(book));
  }

  // ---- the account and its history ----

  private CompletionStage<HttpResponse> account(Query q) {
    boolean omitZero = q.get("omitZeroBalances").map("true"::equals).orElse(false);
    List<Map<String, Object>> balances = new ArrayList<>();
    for (Account.Balance b : account.balances()) {
      if (omitZero && b.free().signum() == 0 && b.locked().signum() == 0) continue;
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("asset", b.asset());
      m.put("free", b.free().setScale(ASSET_PRECISION, RoundingMode.HALF_UP));
      m.put("locked", b.locked().setScale(ASSET_PRECISION, RoundingMode.HALF_UP));
      balances.add(m);
    }
    BigDecimal fee = venueSettings.feeRate();
    int bps = fee.movePointRight(4).intValue();
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("makerCommission", bps);
    a.put("takerCommission", bps);
    a.put("buyerCommission", 0);
    a.put("sellerCommission", 0);
    a.put("commissionRates", Map.of("maker", fee, "taker", fee, "buyer", BigDecimal.ZERO, "seller", BigDecimal.ZERO));
    a.put("canTrade", true);
    a.put("canWithdraw", false);
    a.put("canDeposit", false);
    a.put("brokered", false);
    a.put("requireSelfTradePrevention", false);
    a.put("preventSor", false);
    a.put("updateTime", clock.millis());
    a.put("accountType", "SPOT");
    a.put("balances", balances);
    a.put("permissions", List.of("SPOT"));
    return done(Json.ok(a));
  }

  /** A page's bounds: fromId (orderId for allOrders), startTime, endTime, limit; or the error refusing them. */
  private record Page(String symbol, long fromId, long startTime, long endTime, int limit, HttpResponse error) {}

  private Page page(Query q, String fromIdParam) {
    Optional<String> symbol = q.get("symbol");
    if (symbol.isEmpty()) return new Page(null, 0, 0, 0, 0, mandatory("symbol"));
    if (!rules.containsKey(symbol.get())) return new Page(null, 0, 0, 0, 0, invalidSymbol());
    long[] values = {0, 0, Long.MAX_VALUE, DEFAULT_PAGE};
    String[] names = {fromIdParam, "startTime", "endTime", "limit"};
    for (int i = 0; i < names.length; i++) {
      Optional<String> text = q.get(names[i]);
      if (text.isEmpty()) continue;
      Long v = number(text.get());
      if (v == null) return new Page(null, 0, 0, 0, 0, illegal(names[i], "^[0-9]{1,18}$"));
      values[i] = v;
    }
    if (values[3] < 1) return new Page(null, 0, 0, 0, 0, illegal("limit", "1 to " + MAX_PAGE));
    return new Page(symbol.get(), values[0], values[1], values[2], (int) Math.min(values[3], MAX_PAGE), null);
  }

  private CompletionStage<HttpResponse> myTrades(Query q) {
    Page p = page(q, "fromId");
    if (p.error() != null) return done(p.error());
    List<History.Trade> trades;
    Optional<String> orderId = q.get("orderId");
    if (orderId.isPresent()) {
      Long id = number(orderId.get());
      if (id == null) return done(illegal("orderId", "^[0-9]{1,18}$"));
      History.OrderEntry entry = history.order(p.symbol(), id);
      trades = entry == null ? List.of() : History.trades(entry).stream()
          .filter(t -> t.id() >= p.fromId() && t.fill().time().toEpochMilli() >= p.startTime() && t.fill().time().toEpochMilli() <= p.endTime())
          .limit(p.limit()).toList();
    } else {
      trades = history.trades(p.symbol(), p.fromId(), p.startTime(), p.endTime(), p.limit());
    }
    return done(Json.ok(trades.stream().map(SimRoutes::trade).toList()));
  }

  private static Map<String, Object> trade(History.Trade t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("symbol", t.symbol());
    m.put("id", t.id());
    m.put("orderId", t.orderId());
    m.put("orderListId", -1);
    m.put("price", t.fill().price());
    m.put("qty", t.fill().quantity());
    m.put("quoteQty", t.fill().price().multiply(t.fill().quantity()));
    m.put("commission", t.fill().fee());
    m.put("commissionAsset", t.fill().feeAsset());
    m.put("time", t.fill().time().toEpochMilli());
    m.put("isBuyer", t.buyer());
    m.put("isMaker", t.maker());
    m.put("isBestMatch", true);
    return m;
  }

  private CompletionStage<HttpResponse> allOrders(Query q) {
    Page p = page(q, "orderId");
    if (p.error() != null) return done(p.error());
    return done(Json.ok(history.orders(p.symbol(), p.fromId(), p.startTime(), p.endTime(), p.limit()).stream()
        .map(e -> BinanceFormat.order(e.order(), e.report())).toList()));
  }

  // ---- orders ----

  private CompletionStage<HttpResponse> place(Query q) {
    q.get("newClientOrderId").ifPresent(id -> ledger.attempted(List.of(id)));
    ParsedOrder parsed = parseOrder(q::get);
    Faults f = faults.get();
    if (parsed.error() != null) return delayed(f, done(BinanceFormat.error(400, parsed.error().code(), parsed.error().msg())));
    if (f.failBeforeAccept()) return delayed(f, done(injectedUnavailable()));
    VenueOrder order = parsed.order();
    if (forgotten(order)) return delayed(f, done(BinanceFormat.error(400, -2010, "Duplicate order sent.")));
    Account.Refusal refusal = reserve(order);
    if (refusal != null) return delayed(f, done(BinanceFormat.error(400, refused(refusal).code(), refused(refusal).msg())));
    CompletionStage<HttpResponse> answer = venue.submit(List.of(order)).thenApply(results -> {
      Venue.SubmitResult result = results.get(0);
      if (result instanceof Venue.Acknowledged ack) return Json.ok(BinanceFormat.order(order, ack.report()));
      if (result instanceof Venue.Refused refused) return BinanceFormat.error(400, -1013, "Filter failure: " + refused.reason());
      return internalError();
    }).whenComplete((answered, error) -> account.settle(order.clientOrderId()));
    return delayed(f, f.dropAfterAccept() ? answer.thenApply(created -> aborted(order.clientOrderId())) : answer);
  }

  private int batchSize(Query q) {
    JsonNode batch = batchNode(q);
    return batch == null ? 1 : Math.max(1, batch.size());
  }

  private static JsonNode batchNode(Query q) {
    Optional<String> text = q.get("batchOrders");
    if (text.isEmpty()) return null;
    JsonNode node = Json.parse(text.get()).node();
    return node != null && node.isArray() ? node : null;
  }

  private CompletionStage<HttpResponse> placeBatch(Query q) {
    Faults f = faults.get();
    if (q.get("batchOrders").isEmpty()) return delayed(f, done(mandatory("batchOrders")));
    JsonNode batch = batchNode(q);
    if (batch == null || batch.isEmpty() || batch.size() > settings.maxBatchOrders()) {
      return delayed(f, done(BinanceFormat.error(400, -1130,
          "Data sent for parameter 'batchOrders' is not valid: a JSON array of 1 to " + settings.maxBatchOrders() + " orders.")));
    }
    List<String> attempted = new ArrayList<>();
    List<Object> answers = new ArrayList<>();
    List<VenueOrder> valid = new ArrayList<>();
    for (JsonNode element : batch) {
      Function<String, Optional<String>> field = name -> Optional.ofNullable(element.get(name)).filter(n -> n.isValueNode() && !n.isNull()).map(JsonNode::asText);
      field.apply("newClientOrderId").ifPresent(attempted::add);
      ParsedOrder parsed = element.isObject() ? parseOrder(field) : new ParsedOrder(null, new BinanceFormat.Error(-1130, "each batch element must be a JSON object"));
      Account.Refusal refusal = parsed.error() != null || f.failBeforeAccept() || forgotten(parsed.order()) ? null : reserve(parsed.order());
      if (parsed.error() != null) {
        answers.add(parsed.error());
      } else if (forgotten(parsed.order())) {
        answers.add(new BinanceFormat.Error(-2010, "Duplicate order sent."));
      } else if (refusal != null) {
        answers.add(refused(refusal));
      } else {
        answers.add(parsed.order());
        valid.add(parsed.order());
      }
    }
    ledger.attempted(attempted);
    if (f.failBeforeAccept()) return delayed(f, done(injectedUnavailable()));
    CompletionStage<HttpResponse> answer = venue.submit(valid).thenApply(results -> {
      int next = 0;
      for (int i = 0; i < answers.size(); i++) {
        if (!(answers.get(i) instanceof VenueOrder order)) continue;
        Venue.SubmitResult result = results.get(next++);
        answers.set(i, result instanceof Venue.Acknowledged ack ? BinanceFormat.order(order, ack.report())
            : result instanceof Venue.Refused refused ? new BinanceFormat.Error(-1013, "Filter failure: " + refused.reason())
            : new BinanceFormat.Error(-1001, "Internal error; unable to process your request. Please try again."));
      }
      return Json.ok(answers);
    }).whenComplete((answered, error) -> valid.forEach(o -> account.settle(o.clientOrderId())));
    return delayed(f, f.dropAfterAccept() ? answer.thenApply(created -> aborted("batch of " + valid.size())) : answer);
  }

  /**
   * Locks what a new order may spend (a known clientOrderId is a dedupe and locks nothing), or
   * why the account refuses it. A MARKET order is priced where the venue would fill it now.
   */
  private Account.Refusal reserve(VenueOrder order) {
    if (ledger.wasCreated(order.clientOrderId())) return null;
    SymbolRule rule = rules.get(order.symbol());
    BigDecimal touch = venue.quote(order.symbol()).touch(order.side());
    return account.reserve(order, SimulatedVenue.impactPrice(rule, venueSettings.impactBpsPerTouch(), order.side(), touch, order.quantity()));
  }

  /** Created once, long ago: the venue forgot the final order, the ledger did not. Never create it again. */
  private boolean forgotten(VenueOrder order) {
    return ledger.wasCreated(order.clientOrderId()) && !venue.remembers(order.clientOrderId());
  }

  /** The order a query or cancel names, by orderId or origClientOrderId (orderId wins, as on Binance); or the error refusing it. */
  private record Named(String symbol, String clientOrderId, HttpResponse error) {}

  private Named named(Query q, int unknownCode, String unknownMsg) {
    Optional<String> symbol = q.get("symbol");
    Optional<String> clientOrderId = q.get("origClientOrderId");
    Optional<String> orderId = q.get("orderId");
    if (symbol.isEmpty()) return new Named(null, null, mandatory("symbol"));
    if (orderId.isEmpty() && clientOrderId.isEmpty()) {
      return new Named(null, null, BinanceFormat.error(400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"));
    }
    if (orderId.isEmpty()) return new Named(symbol.get(), clientOrderId.get(), null);
    Long id = number(orderId.get());
    if (id == null) return new Named(null, null, illegal("orderId", "^[0-9]{1,18}$"));
    History.OrderEntry entry = history.order(symbol.get(), id);
    if (entry == null || clientOrderId.filter(c -> !c.equals(entry.order().clientOrderId())).isPresent()) {
      return new Named(null, null, BinanceFormat.error(400, unknownCode, unknownMsg));
    }
    return new Named(symbol.get(), entry.order().clientOrderId(), null);
  }

  private CompletionStage<HttpResponse> cancel(Query q) {
    Faults f = faults.get();
    Named named = named(q, -2011, "Unknown order sent.");
    if (named.error() != null) return delayed(f, done(named.error()));
    return delayed(f, cancel(named.symbol(), named.clientOrderId()).thenApply(result -> {
      if (result instanceof Venue.Canceled canceled) return Json.ok(BinanceFormat.order(ledger.placed(named.clientOrderId()), canceled.report()));
      if (result instanceof Venue.CancelRefused refused && refused.report() != null) {
        return BinanceFormat.error(400, -2011, "Order is " + refused.report().status());
      }
      return BinanceFormat.error(400, -2011, "Unknown order sent.");
    }));
  }

  /** A cancel at the venue; a canceled order's report goes to the user-data stream. */
  private CompletionStage<Venue.CancelResult> cancel(String symbol, String clientOrderId) {
    return venue.cancel(symbol, clientOrderId).thenApply(result -> {
      if (result instanceof Venue.Canceled canceled) pushReport(canceled.report(), "CANCELED");
      return result;
    });
  }

  /** Every open order of the symbol canceled; the answer lists those canceled (-2011, as Binance answers, when none was open). */
  private CompletionStage<HttpResponse> cancelOpenOrders(Query q) {
    Faults f = faults.get();
    Optional<String> symbol = q.get("symbol");
    if (symbol.isEmpty()) return delayed(f, done(mandatory("symbol")));
    if (!rules.containsKey(symbol.get())) return delayed(f, done(invalidSymbol()));
    return delayed(f, venue.openOrders().thenCompose(open -> {
      List<CompletableFuture<Venue.CancelResult>> cancels = open.stream().filter(r -> symbol.get().equals(r.symbol()))
          .map(r -> cancel(r.symbol(), r.clientOrderId()).toCompletableFuture()).toList();
      return CompletableFuture.allOf(cancels.toArray(CompletableFuture[]::new)).thenApply(all -> {
        List<BinanceFormat.OrderJson> canceled = cancels.stream()
            .map(CompletableFuture::join)
            .filter(Venue.Canceled.class::isInstance)
            .map(c -> BinanceFormat.order(ledger.placed(((Venue.Canceled) c).report().clientOrderId()), ((Venue.Canceled) c).report()))
            .toList();
        return canceled.isEmpty() ? BinanceFormat.error(400, -2011, "Unknown order sent.") : Json.ok(canceled);
      });
    }));
  }

  private CompletionStage<HttpResponse> query(Query q) {
    Faults f = faults.get();
    Named named = named(q, -2013, "Order does not exist.");
    if (named.error() != null) return delayed(f, done(named.error()));
    return delayed(f, venue.query(named.symbol(), named.clientOrderId()).thenApply(report -> report
        .map(r -> Json.ok(BinanceFormat.order(ledger.placed(named.clientOrderId()), r)))
        .orElseGet(() -> BinanceFormat.error(400, -2013, "Order does not exist."))));
  }

  private CompletionStage<HttpResponse> openOrders(Query q) {
    Faults f = faults.get();
    Optional<String> symbol = q.get("symbol");
    if (symbol.isPresent() && !rules.containsKey(symbol.get())) return delayed(f, done(invalidSymbol()));
    return delayed(f, venue.openOrders().thenApply(open -> Json.ok(open.stream()
        .filter(r -> symbol.isEmpty() || symbol.get().equals(r.symbol()))
        .map(r -> BinanceFormat.order(ledger.placed(r.clientOrderId()), r))
        .toList())));
  }

  private ParsedOrder parseOrder(Function<String, Optional<String>> field) {
    Optional<String> symbol = field.apply("symbol");
    Optional<String> side = field.apply("side");
    Optional<String> type = field.apply("type");
    Optional<String> quantity = field.apply("quantity");
    Optional<String> id = field.apply("newClientOrderId");
    if (symbol.isEmpty()) return refused(-1102, mandatoryMessage("symbol"));
    if (!rules.containsKey(symbol.get())) return refused(-1121, "Invalid symbol.");
    if (side.isEmpty()) return refused(-1102, mandatoryMessage("side"));
    if (!side.get().equals("BUY") && !side.get().equals("SELL")) return refused(-1117, "Invalid side.");
    if (type.isEmpty()) return refused(-1102, mandatoryMessage("type"));
    if (!type.get().equals("LIMIT") && !type.get().equals("MARKET")) return refused(-1116, "Invalid orderType.");
    OrderType orderType = OrderType.valueOf(type.get());
    Optional<String> quoteQty = field.apply("quoteOrderQty");
    if (quoteQty.isPresent() && orderType != OrderType.MARKET) return refused(-1106, "Parameter 'quoteOrderQty' sent when not required.");
    if (quoteQty.isPresent() && quantity.isPresent()) return refused(-1106, "Parameter 'quoteOrderQty' sent when not required.");
    if (quantity.isEmpty() && quoteQty.isEmpty()) {
      return refused(-1102, orderType == OrderType.MARKET ? "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!" : mandatoryMessage("quantity"));
    }
    if (quantity.isPresent() && !DECIMAL.matcher(quantity.get()).matches()) return refused(-1100, illegalMessage("quantity", DECIMAL.pattern()));
    if (quoteQty.isPresent() && !DECIMAL.matcher(quoteQty.get()).matches()) return refused(-1100, illegalMessage("quoteOrderQty", DECIMAL.pattern()));
    if (id.isPresent() && !CLIENT_ORDER_ID.matcher(id.get()).matches()) return refused(-1100, illegalMessage("newClientOrderId", CLIENT_ORDER_ID.pattern()));
    String clientOrderId = id.orElseGet(SimRoutes::newClientOrderId);
    Optional<String> tif = field.apply("timeInForce");
    Optional<String> price = field.apply("price");
    TimeInForce timeInForce = TimeInForce.IOC;
    BigDecimal limitPrice = null;
    if (orderType == OrderType.LIMIT) {
      if (tif.isEmpty()) return refused(-1102, mandatoryMessage("timeInForce"));
      if (!List.of("GTC", "IOC", "FOK").contains(tif.get())) return refused(-1115, "Invalid timeInForce.");
      if (price.isEmpty()) return refused(-1102, mandatoryMessage("price"));
      if (!DECIMAL.matcher(price.get()).matches()) return refused(-1100, illegalMessage("price", DECIMAL.pattern()));
      timeInForce = TimeInForce.valueOf(tif.get());
      limitPrice = new BigDecimal(price.get());
    } else {
      if (tif.isPresent()) return refused(-1106, "Parameter 'timeInForce' sent when not required.");
      if (price.isPresent()) return refused(-1106, "Parameter 'price' sent when not required.");
    }
    Side orderSide = Side.valueOf(side.get());
    BigDecimal qty = quantity.isPresent() ? new BigDecimal(quantity.get()) : quantityFor(rules.get(symbol.get()), orderSide, new BigDecimal(quoteQty.get()));
    return new ParsedOrder(new VenueOrder(clientOrderId, symbol.get(), orderSide, orderType, timeInForce, qty, limitPrice), null);
  }

  /** Binance makes one up when a client sends none: 22 URL-safe characters, like its own. */
  private static String newClientOrderId() {
    UUID u = UUID.randomUUID();
    ByteBuffer bytes = ByteBuffer.allocate(16).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.array());
  }

  /**
   * A MARKET order's quoteOrderQty as a quantity: the most whole steps whose fill, at the price
   * the venue would fill them now (the touch moved by impact), costs (or raises) at most that much.
   */
  private BigDecimal quantityFor(SymbolRule rule, Side side, BigDecimal quoteQty) {
    BigDecimal price = venue.quote(rule.symbol()).touch(side);
    BigDecimal qty = BigDecimal.ZERO;
    // the impact grows with the quantity, so each round prices a smaller quantity; two or three rounds settle it
    for (int round = 0; round < 8; round++) {
      BigDecimal next = quoteQty.divide(price.multiply(rule.stepSize()), 0, RoundingMode.FLOOR).multiply(rule.stepSize());
      if (next.signum() == 0 || next.compareTo(qty) == 0) return next;
      qty = next;
      price = SimulatedVenue.impactPrice(rule, venueSettings.impactBpsPerTouch(), side, venue.quote(rule.symbol()).touch(side), qty);
      if (price.multiply(qty).compareTo(quoteQty) <= 0) return qty;
    }
    return qty.subtract(rule.stepSize()).max(BigDecimal.ZERO);
  }

  private static ParsedOrder refused(int code, String msg) {
    return new ParsedOrder(null, new BinanceFormat.Error(code, msg));
  }

  // ---- user-data stream ----

  private CompletionStage<HttpResponse> keepAlive(Query q) {
    Optional<String> listenKey = q.get("listenKey");
    if (listenKey.isEmpty()) return done(mandatory("listenKey"));
    return done(streams.keepAlive(listenKey.get(), clock.millis()) ? Json.ok(Map.of()) : unknownListenKey());
  }

  private CompletionStage<HttpResponse> closeListenKey(Query q) {
    Optional<String> listenKey = q.get("listenKey");
    if (listenKey.isEmpty()) return done(mandatory("listenKey"));
    return done(streams.close(listenKey.get()) ? Json.ok(Map.of()) : unknownListenKey());
  }

  private Route userStream(String listenKey) {
    if (!streams.isLive(listenKey, clock.millis())) return complete(unknownListenKey());
    return handleWebSocketMessages(streams.connect(listenKey));
  }

  private void pushReport(VenueOrderReport report, String executionType) {
    VenueOrder order = ledger.placed(report.clientOrderId());
    if (order == null || streams.connectionCount() == 0) return;
    streams.publish(BinanceFormat.executionReport(order, report, executionType, clock.millis()));
  }

  // ---- faults ----

  private Route setFaults(String body) {
    Json.Parsed parsed = Json.parse(body);
    if (parsed.refusal() != null) return complete(BinanceFormat.error(400, -1100, parsed.refusal().message()));
    JsonNode node = parsed.node().isMissingNode() ? Json.MAPPER.createObjectNode() : parsed.node();
    if (!node.isObject()) return complete(BinanceFormat.error(400, -1100, "the body must be a JSON object"));
    int[] values = new int[3];
    String[] names = {"latencyMs", "dropAfterAcceptPct", "failBeforeAcceptPct"};
    int[] max = {Faults.MAX_LATENCY_MS, 100, 100};
    for (int i = 0; i < names.length; i++) {
      JsonNode v = node.get(names[i]);
      if (v == null || v.isNull()) continue;
      if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 0 || v.asInt() > max[i]) {
        return complete(BinanceFormat.error(400, -1100, "'" + names[i] + "' must be an integer from 0 to " + max[i]));
      }
      values[i] = v.asInt();
    }
    Faults set = new Faults(values[0], values[1], values[2]);
    faults.set(set);
    log.info("event=venue_sim_faults_set latencyMs={} dropAfterAcceptPct={} failBeforeAcceptPct={}", set.latencyMs(), set.dropAfterAcceptPct(), set.failBeforeAcceptPct());
    return complete(Json.ok(set));
  }

  private CompletionStage<HttpResponse> delayed(Faults f, CompletionStage<HttpResponse> answer) {
    if (f.latencyMs() == 0) return answer;
    return answer.thenCompose(r -> Patterns.after(Duration.ofMillis(f.latencyMs()), system.classicSystem().scheduler(), system.executionContext(),
        () -> CompletableFuture.completedFuture(r)));
  }

  /**
   * The "accepted, response lost" fault: a body that fails before its first byte, so Pekko aborts
   * the connection (in practice before the status line leaves; at worst the client sees a
   * truncated response). Either way a transport failure, never the order.
   */
  private static HttpResponse aborted(String what) {
    log.info("event=venue_sim_fault_injected fault=drop_after_accept orders={}", what);
    return HttpResponse.create().withEntity(HttpEntities.createChunked(ContentTypes.APPLICATION_JSON, Source.failed(new AbortedByFault())));
  }

  private static final class AbortedByFault extends RuntimeException {
    AbortedByFault() {
      super("connection aborted by an injected fault (dropAfterAcceptPct)", null, false, false);
    }
  }

  private static HttpResponse injectedUnavailable() {
    log.info("event=venue_sim_fault_injected fault=fail_before_accept");
    return BinanceFormat.error(503, -1001, "Internal error; unable to process your request. Please try again. (injected: failBeforeAccept)");
  }

  // ---- answers ----

  private static CompletionStage<HttpResponse> done(HttpResponse response) {
    return CompletableFuture.completedFuture(response);
  }

  private static HttpResponse internalError() {
    return BinanceFormat.error(500, -1001, "Internal error; unable to process your request. Please try again.");
  }

  private static BinanceFormat.Error refused(Account.Refusal refusal) {
    return switch (refusal) {
      case INSUFFICIENT_BALANCE -> new BinanceFormat.Error(-2010, "Account has insufficient balance for requested action.");
      case MAX_NUM_ORDERS -> new BinanceFormat.Error(-1013, "Filter failure: MAX_NUM_ORDERS");
    };
  }

  private static HttpResponse invalidSymbol() {
    return BinanceFormat.error(400, -1121, "Invalid symbol.");
  }

  private static HttpResponse unknownListenKey() {
    return BinanceFormat.error(400, -1125, "This listenKey does not exist.");
  }

  private static String mandatoryMessage(String param) {
    return "Mandatory parameter '" + param + "' was not sent, was empty/null, or malformed.";
  }

  private static HttpResponse mandatory(String param) {
    return BinanceFormat.error(400, -1102, mandatoryMessage(param));
  }

  private static String illegalMessage(String param, String legal) {
    return "Illegal characters found in parameter '" + param + "'; legal range is '" + legal + "'.";
  }

  private static HttpResponse illegal(String param, String legal) {
    return BinanceFormat.error(400, -1100, illegalMessage(param, legal));
  }

  private static Long number(String text) {
    if (!text.matches("^[0-9]{1,18}$")) return null;
    return Long.parseLong(text);
  }

  /** Pekko's own rejections (unknown path, wrong method, not a WebSocket request) in Binance's error shape. */
  private static RejectionHandler rejections() {
    return RejectionHandler.newBuilder()
        .handleNotFound(complete(BinanceFormat.error(404, -1000, "No such endpoint.")))
        .build()
        .withFallback(RejectionHandler.defaultHandler())
        .mapRejectionResponse(r -> {
          if (r.entity().getContentType().mediaType().subType().equals("json")) return r;
          String text = r.entity() instanceof HttpEntity.Strict strict ? strict.getData().utf8String() : r.status().reason();
          return BinanceFormat.error(r.status().intValue(), -1000, text);
        });
  }
}
