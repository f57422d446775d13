package io.sparkexec.venue.sim;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.entity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.handleWebSocketMessages;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.put;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.binance.BinanceErrors;
import io.sparkexec.binance.BinanceOrders;
import io.sparkexec.binance.OrderParams;
import io.sparkexec.binance.RateLimits;
import io.sparkexec.binance.SignedCall;
import io.sparkexec.binance.SignedCall.Access;
import io.sparkexec.http.Json;
import io.sparkexec.venue.Signing;
import io.sparkexec.venue.SimulatedVenue;
import io.sparkexec.venue.Side;
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
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.Query;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.PathMatchers;
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
  private static final int ASSET_PRECISION = 8;
  private static final int DEFAULT_PAGE = 500;
  private static final int MAX_PAGE = 1000;
  private static final List<Integer> DEPTH_LIMITS = List.of(5, 10, 20, 50, 100, 500, 1000, 5000);

  /** A place request's fields, or the error that refuses it (exactly one is set). */
  private record ParsedOrder(VenueOrder order, BinanceErrors.Error error) {}

  private final VenueSimSettings settings;
  private final SimulatedVenue venue;
  private final SimulatedVenue.Settings venueSettings;
  private final SimLedger ledger;
  private final History history;
  private final Account account;
  private final Map<String, SymbolRule> rules;
  private final RateLimits limits;
  private final SignedCall<String> calls;
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
    this.limits = new RateLimits(settings.rateLimits(), "venue_sim");
    Signing signing = new Signing(settings.apiSecret());
    // the simulator has one account: its key, or nobody
    this.calls = new SignedCall<>(new SignedCall.Keys<>() {
      @Override
      public String find(String apiKey) {
        return settings.apiKey().equals(apiKey) ? apiKey : null;
      }

      @Override
      public Signing signing(String holder) {
        return signing;
      }

      @Override
      public String account(String holder) {
        return holder;
      }
    }, limits, settings.maxBodyBytes(), settings.bodyReadTimeout(), "venue_sim", clock);
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
        .seal(BinanceErrors.rejections(), ExceptionHandler.newBuilder().match(RuntimeException.class, e -> {
          log.error("event=venue_sim_request_failed error=\"{}\"", e.toString(), e);
          return complete(BinanceErrors.internalError());
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

  /** Every API call goes through the shared Binance call: limits, then access checks. */
  private Route call(Access access, ToIntFunction<Query> weight, ToIntFunction<Query> orders, Function<Query, CompletionStage<HttpResponse>> handler) {
    return calls.call(access, weight, orders, c -> handler.apply(c.query()));
  }

  // ---- public market data ----

  private Map<String, Object> exchangeInfo() {
    List<Map<String, Object>> symbols = new ArrayList<>();
    for (SymbolRule r : rules.values()) {
      // Binance's field set: stock clients (ccxt) read orderTypes before they place and the filters for precision
      symbols.add(BinanceOrders.symbol(r.symbol(), r.baseAsset(), r.quoteAsset(), ASSET_PRECISION, List.of(
          BinanceOrders.filter("PRICE_FILTER", "minPrice", r.tickSize(), "maxPrice", "0", "tickSize", r.tickSize()),
          BinanceOrders.filter("LOT_SIZE", "minQty", r.minQty(), "maxQty", r.maxQty(), "stepSize", r.stepSize()),
          BinanceOrders.filter("NOTIONAL", "minNotional", r.minNotional(), "applyMinToMarket", true, "avgPriceMins", 0),
          BinanceOrders.filter("MAX_NUM_ORDERS", "maxNumOrders", settings.maxOpenOrders()))));
    }
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("timezone", "UTC");
    info.put("serverTime", clock.millis());
    info.put("simulator", true);
    info.put("rateLimits", BinanceOrders.rateLimits(limits.settings()));
    info.put("symbols", symbols);
    return info;
  }

  private CompletionStage<HttpResponse> bookTicker(Query q) {
    Optional<String> symbol = q.get("symbol");
    if (symbol.isPresent()) {
      return done(rules.containsKey(symbol.get()) ? Json.ok(ticker(rules.get(symbol.get()))) : BinanceErrors.invalidSymbol());
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
    if (symbol.isPresent()) return done(rules.containsKey(symbol.get()) ? Json.ok(answer.apply(rules.get(symbol.get()))) : BinanceErrors.invalidSymbol());
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
    int limit = q.get("limit").map(BinanceErrors::number).map(Long::intValue).orElse(100);
    return limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250;
  }

  /**
   * The simulated book: the touch, then a level every tick away, each showing the touch size
   * (the matching engine fills at the touch up to touch-qty per tick; see docs/venue-sim.md).
   */
  private CompletionStage<HttpResponse> depth(Query q) {
    Optional<String> symbol = q.get("symbol");
    if (symbol.isEmpty()) return done(BinanceErrors.mandatory("symbol"));
    SymbolRule rule = rules.get(symbol.get());
    if (rule == null) return done(BinanceErrors.invalidSymbol());
    Long limit = q.get("limit").map(BinanceErrors::number).orElse(100L);
    if (limit == null || !DEPTH_LIMITS.contains(limit.intValue())) return done(BinanceErrors.illegal("limit", DEPTH_LIMITS.toString()));
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
    return done(Json.ok(BinanceOrders.account(venueSettings.feeRate(), balances, clock.millis())));
  }

  /** A page's bounds: fromId (orderId for allOrders), startTime, endTime, limit; or the error refusing them. */
  private record Page(String symbol, long fromId, long startTime, long endTime, int limit, HttpResponse error) {}

  private Page page(Query q, String fromIdParam) {
    Optional<String> symbol = q.get("symbol");
    if (symbol.isEmpty()) return new Page(null, 0, 0, 0, 0, BinanceErrors.mandatory("symbol"));
    if (!rules.containsKey(symbol.get())) return new Page(null, 0, 0, 0, 0, BinanceErrors.invalidSymbol());
    long[] values = {0, 0, Long.MAX_VALUE, DEFAULT_PAGE};
    String[] names = {fromIdParam, "startTime", "endTime", "limit"};
    for (int i = 0; i < names.length; i++) {
      Optional<String> text = q.get(names[i]);
      if (text.isEmpty()) continue;
      Long v = BinanceErrors.number(text.get());
      if (v == null) return new Page(null, 0, 0, 0, 0, BinanceErrors.illegal(names[i], "^[0-9]{1,18}$"));
      values[i] = v;
    }
    if (values[3] < 1) return new Page(null, 0, 0, 0, 0, BinanceErrors.illegal("limit", "1 to " + MAX_PAGE));
    return new Page(symbol.get(), values[0], values[1], values[2], (int) Math.min(values[3], MAX_PAGE), null);
  }

  private CompletionStage<HttpResponse> myTrades(Query q) {
    Page p = page(q, "fromId");
    if (p.error() != null) return done(p.error());
    List<History.Trade> trades;
    Optional<String> orderId = q.get("orderId");
    if (orderId.isPresent()) {
      Long id = BinanceErrors.number(orderId.get());
      if (id == null) return done(BinanceErrors.illegal("orderId", "^[0-9]{1,18}$"));
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
    return BinanceOrders.trade(t.symbol(), t.orderId(), t.fill(), t.id(), t.buyer(), t.maker());
  }

  private CompletionStage<HttpResponse> allOrders(Query q) {
    Page p = page(q, "orderId");
    if (p.error() != null) return done(p.error());
    return done(Json.ok(history.orders(p.symbol(), p.fromId(), p.startTime(), p.endTime(), p.limit()).stream()
        .map(e -> order(e.order(), e.report())).toList()));
  }

  // ---- orders ----

  private CompletionStage<HttpResponse> place(Query q) {
    q.get("newClientOrderId").ifPresent(id -> ledger.attempted(List.of(id)));
    ParsedOrder parsed = parseOrder(q::get);
    Faults f = faults.get();
    if (parsed.error() != null) return delayed(f, done(BinanceErrors.response(400, parsed.error().code(), parsed.error().msg())));
    if (f.failBeforeAccept()) return delayed(f, done(injectedUnavailable()));
    VenueOrder order = parsed.order();
    if (forgotten(order)) return delayed(f, done(BinanceErrors.response(400, -2010, "Duplicate order sent.")));
    Account.Refusal refusal = reserve(order);
    if (refusal != null) return delayed(f, done(BinanceErrors.response(400, refused(refusal).code(), refused(refusal).msg())));
    CompletionStage<HttpResponse> answer = venue.submit(List.of(order)).thenApply(results -> {
      Venue.SubmitResult result = results.get(0);
      if (result instanceof Venue.Acknowledged ack) return Json.ok(order(order, ack.report()));
      if (result instanceof Venue.Refused refused) return BinanceErrors.response(400, -1013, "Filter failure: " + refused.reason());
      return BinanceErrors.internalError();
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
    if (q.get("batchOrders").isEmpty()) return delayed(f, done(BinanceErrors.mandatory("batchOrders")));
    JsonNode batch = batchNode(q);
    if (batch == null || batch.isEmpty() || batch.size() > settings.maxBatchOrders()) {
      return delayed(f, done(BinanceErrors.response(400, -1130,
          "Data sent for parameter 'batchOrders' is not valid: a JSON array of 1 to " + settings.maxBatchOrders() + " orders.")));
    }
    List<String> attempted = new ArrayList<>();
    List<Object> answers = new ArrayList<>();
    List<VenueOrder> valid = new ArrayList<>();
    for (JsonNode element : batch) {
      Function<String, Optional<String>> field = name -> Optional.ofNullable(element.get(name)).filter(n -> n.isValueNode() && !n.isNull()).map(JsonNode::asText);
      field.apply("newClientOrderId").ifPresent(attempted::add);
      ParsedOrder parsed = element.isObject() ? parseOrder(field) : new ParsedOrder(null, new BinanceErrors.Error(-1130, "each batch element must be a JSON object"));
      Account.Refusal refusal = parsed.error() != null || f.failBeforeAccept() || forgotten(parsed.order()) ? null : reserve(parsed.order());
      if (parsed.error() != null) {
        answers.add(parsed.error());
      } else if (forgotten(parsed.order())) {
        answers.add(new BinanceErrors.Error(-2010, "Duplicate order sent."));
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
        answers.set(i, result instanceof Venue.Acknowledged ack ? order(order, ack.report())
            : result instanceof Venue.Refused refused ? new BinanceErrors.Error(-1013, "Filter failure: " + refused.reason())
            : new BinanceErrors.Error(-1001, "Internal error; unable to process your request. Please try again."));
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
    if (symbol.isEmpty()) return new Named(null, null, BinanceErrors.mandatory("symbol"));
    if (orderId.isEmpty() && clientOrderId.isEmpty()) {
      return new Named(null, null, BinanceErrors.response(400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"));
    }
    if (orderId.isEmpty()) return new Named(symbol.get(), clientOrderId.get(), null);
    Long id = BinanceErrors.number(orderId.get());
    if (id == null) return new Named(null, null, BinanceErrors.illegal("orderId", "^[0-9]{1,18}$"));
    History.OrderEntry entry = history.order(symbol.get(), id);
    if (entry == null || clientOrderId.filter(c -> !c.equals(entry.order().clientOrderId())).isPresent()) {
      return new Named(null, null, BinanceErrors.response(400, unknownCode, unknownMsg));
    }
    return new Named(symbol.get(), entry.order().clientOrderId(), null);
  }

  private CompletionStage<HttpResponse> cancel(Query q) {
    Faults f = faults.get();
    Named named = named(q, -2011, "Unknown order sent.");
    if (named.error() != null) return delayed(f, done(named.error()));
    return delayed(f, cancel(named.symbol(), named.clientOrderId()).thenApply(result -> {
      if (result instanceof Venue.Canceled canceled) return Json.ok(order(ledger.placed(named.clientOrderId()), canceled.report()));
      if (result instanceof Venue.CancelRefused refused && refused.report() != null) {
        return BinanceErrors.response(400, -2011, "Order is " + refused.report().status());
      }
      return BinanceErrors.response(400, -2011, "Unknown order sent.");
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
    if (symbol.isEmpty()) return delayed(f, done(BinanceErrors.mandatory("symbol")));
    if (!rules.containsKey(symbol.get())) return delayed(f, done(BinanceErrors.invalidSymbol()));
    return delayed(f, venue.openOrders().thenCompose(open -> {
      List<CompletableFuture<Venue.CancelResult>> cancels = open.stream().filter(r -> symbol.get().equals(r.symbol()))
          .map(r -> cancel(r.symbol(), r.clientOrderId()).toCompletableFuture()).toList();
      return CompletableFuture.allOf(cancels.toArray(CompletableFuture[]::new)).thenApply(all -> {
        List<BinanceOrders.OrderJson> canceled = cancels.stream()
            .map(CompletableFuture::join)
            .filter(Venue.Canceled.class::isInstance)
            .map(c -> order(ledger.placed(((Venue.Canceled) c).report().clientOrderId()), ((Venue.Canceled) c).report()))
            .toList();
        return canceled.isEmpty() ? BinanceErrors.response(400, -2011, "Unknown order sent.") : Json.ok(canceled);
      });
    }));
  }

  private CompletionStage<HttpResponse> query(Query q) {
    Faults f = faults.get();
    Named named = named(q, -2013, "Order does not exist.");
    if (named.error() != null) return delayed(f, done(named.error()));
    return delayed(f, venue.query(named.symbol(), named.clientOrderId()).thenApply(report -> report
        .map(r -> Json.ok(order(ledger.placed(named.clientOrderId()), r)))
        .orElseGet(() -> BinanceErrors.response(400, -2013, "Order does not exist."))));
  }

  private CompletionStage<HttpResponse> openOrders(Query q) {
    Faults f = faults.get();
    Optional<String> symbol = q.get("symbol");
    if (symbol.isPresent() && !rules.containsKey(symbol.get())) return delayed(f, done(BinanceErrors.invalidSymbol()));
    return delayed(f, venue.openOrders().thenApply(open -> Json.ok(open.stream()
        .filter(r -> symbol.isEmpty() || symbol.get().equals(r.symbol()))
        .map(r -> order(ledger.placed(r.clientOrderId()), r))
        .toList())));
  }

  private ParsedOrder parseOrder(Function<String, Optional<String>> field) {
    OrderParams.Parsed parsed = OrderParams.parse(field, rules::containsKey);
    if (parsed.error() != null) return new ParsedOrder(null, parsed.error());
    OrderParams.Place p = parsed.place();
    String clientOrderId = p.clientOrderId() != null ? p.clientOrderId() : newClientOrderId();
    BigDecimal qty = p.quantity() != null ? p.quantity() : quantityFor(rules.get(p.symbol()), p.side(), p.quoteOrderQty());
    TimeInForce tif = p.timeInForce() != null ? p.timeInForce() : TimeInForce.IOC;
    return new ParsedOrder(new VenueOrder(clientOrderId, p.symbol(), p.side(), p.type(), tif, qty, p.price()), null);
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

  // ---- user-data stream ----

  private CompletionStage<HttpResponse> keepAlive(Query q) {
    Optional<String> listenKey = q.get("listenKey");
    if (listenKey.isEmpty()) return done(BinanceErrors.mandatory("listenKey"));
    return done(streams.keepAlive(listenKey.get(), clock.millis()) ? Json.ok(Map.of()) : BinanceErrors.unknownListenKey());
  }

  private CompletionStage<HttpResponse> closeListenKey(Query q) {
    Optional<String> listenKey = q.get("listenKey");
    if (listenKey.isEmpty()) return done(BinanceErrors.mandatory("listenKey"));
    return done(streams.close(listenKey.get()) ? Json.ok(Map.of()) : BinanceErrors.unknownListenKey());
  }

  private Route userStream(String listenKey) {
    if (!streams.isLive(listenKey, clock.millis())) return complete(BinanceErrors.unknownListenKey());
    return handleWebSocketMessages(streams.connect(listenKey));
  }

  private void pushReport(VenueOrderReport report, String executionType) {
    VenueOrder order = ledger.placed(report.clientOrderId());
    if (order == null || streams.connectionCount() == 0) return;
    Venue.Fill last = "TRADE".equals(executionType) && !report.fills().isEmpty() ? report.fills().get(report.fills().size() - 1) : null;
    streams.publish(BinanceOrders.executionReport(view(order, report), executionType, last, clock.millis()));
  }

  // ---- faults ----

  private Route setFaults(String body) {
    Json.Parsed parsed = Json.parse(body);
    if (parsed.refusal() != null) return complete(BinanceErrors.response(400, -1100, parsed.refusal().message()));
    JsonNode node = parsed.node().isMissingNode() ? Json.MAPPER.createObjectNode() : parsed.node();
    if (!node.isObject()) return complete(BinanceErrors.response(400, -1100, "the body must be a JSON object"));
    int[] values = new int[3];
    String[] names = {"latencyMs", "dropAfterAcceptPct", "failBeforeAcceptPct"};
    int[] max = {Faults.MAX_LATENCY_MS, 100, 100};
    for (int i = 0; i < names.length; i++) {
      JsonNode v = node.get(names[i]);
      if (v == null || v.isNull()) continue;
      if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 0 || v.asInt() > max[i]) {
        return complete(BinanceErrors.response(400, -1100, "'" + names[i] + "' must be an integer from 0 to " + max[i]));
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
    return BinanceErrors.response(503, -1001, "Internal error; unable to process your request. Please try again. (injected: failBeforeAccept)");
  }

  // ---- answers ----

  /** Binance's FULL order: {@code fills} always carries every fill so far. */
  static BinanceOrders.OrderJson order(VenueOrder order, VenueOrderReport report) {
    return BinanceOrders.full(view(order, report));
  }

  private static BinanceOrders.View view(VenueOrder order, VenueOrderReport report) {
    // the venue's own terms where it has them: a request that met an existing order under its id
    // is answered with that order, as it is, not with the request's terms
    Venue.VenueTerms t = report.terms();
    if (t == null) t = new Venue.VenueTerms(order.symbol(), order.side().name(), order.type().name(), order.quantity(), order.price());
    long time = report.time().toEpochMilli();
    return new BinanceOrders.View(t.symbol(), Long.parseLong(report.venueOrderId()), order.clientOrderId(),
        t.price() != null ? t.price() : BigDecimal.ZERO, t.quantity(), report.status().name(), order.timeInForce().name(), t.type(), t.side(),
        time, time, report.fills());
  }

  private static CompletionStage<HttpResponse> done(HttpResponse response) {
    return CompletableFuture.completedFuture(response);
  }

  private static BinanceErrors.Error refused(Account.Refusal refusal) {
    return switch (refusal) {
      case INSUFFICIENT_BALANCE -> new BinanceErrors.Error(-2010, "Account has insufficient balance for requested action.");
      case MAX_NUM_ORDERS -> new BinanceErrors.Error(-1013, "Filter failure: MAX_NUM_ORDERS");
    };
  }
}
