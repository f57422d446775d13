package io.sparkexec.front;

import static io.sparkexec.binance.BinanceErrors.response;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.put;

import io.sparkexec.binance.BinanceErrors;
import io.sparkexec.binance.BinanceOrders;
import io.sparkexec.binance.RateLimits;
import io.sparkexec.binance.SignedCall.Call;
import io.sparkexec.http.Auth;
import io.sparkexec.http.Json;
import io.sparkexec.order.SymbolRulesGuard;
import io.sparkexec.venue.MarketData;
import io.sparkexec.venue.SymbolRule;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;

/**
 * The front door's market data and account, from the venue link: exchangeInfo with the filters the
 * executor checks, tickers and the book's touch from its quotes, the venue account's balances.
 */
final class FrontMarket {

  /** Decimals of an asset amount, as Binance publishes them. */
  private static final int ASSET_PRECISION = 8;
  private static final List<Integer> DEPTH_LIMITS = List.of(5, 10, 20, 50, 100, 500, 1000, 5000);

  private final SymbolRulesGuard rules;
  private final MarketData marketData;
  private final VenueAccount account;
  private final RateLimits.Settings limits;
  private final Clock clock;

  FrontMarket(SymbolRulesGuard rules, MarketData marketData, VenueAccount account, RateLimits.Settings limits, Clock clock) {
    this.rules = rules;
    this.marketData = marketData;
    this.account = account;
    this.limits = limits;
    this.clock = clock;
  }

  CompletionStage<HttpResponse> time(Call<Auth.BinanceKey> c) {
    return done(Json.ok(Map.of("serverTime", clock.millis())));
  }

  CompletionStage<HttpResponse> exchangeInfo(Call<Auth.BinanceKey> c) {
    return done(Json.ok(exchangeInfo()));
  }

  CompletionStage<HttpResponse> bookTicker(Call<Auth.BinanceKey> c) {
    return perSymbol(c, this::bookTicker);
  }

  CompletionStage<HttpResponse> ticker24hr(Call<Auth.BinanceKey> c) {
    return perSymbol(c, this::ticker24hr);
  }

  CompletionStage<HttpResponse> tickerPrice(Call<Auth.BinanceKey> c) {
    return perSymbol(c, this::tickerPrice);
  }

  private Map<String, Object> exchangeInfo() {
    List<Map<String, Object>> symbols = new ArrayList<>();
    for (SymbolRule r : rules.rules().values()) {
      // the filters the executor checks before it sends (the venue's own once it stated them)
      symbols.add(BinanceOrders.symbol(r.symbol(), r.baseAsset(), r.quoteAsset(), ASSET_PRECISION, List.of(
          BinanceOrders.filter("PRICE_FILTER", "minPrice", r.tickSize(), "maxPrice", "0", "tickSize", r.tickSize()),
          BinanceOrders.filter("LOT_SIZE", "minQty", r.minQty(), "maxQty", r.maxQty(), "stepSize", r.stepSize()),
          BinanceOrders.filter("NOTIONAL", "minNotional", r.minNotional(), "applyMinToMarket", true, "avgPriceMins", 0))));
    }
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("timezone", "UTC");
    info.put("serverTime", clock.millis());
    info.put("rateLimits", BinanceOrders.rateLimits(limits));
    info.put("exchangeFilters", List.of());
    info.put("symbols", symbols);
    return info;
  }

  /** One symbol's answer, or every quoted symbol's as an array; an unknown symbol is -1121, one without a quote yet -1001. */
  private CompletionStage<HttpResponse> perSymbol(Call<Auth.BinanceKey> c, Function<Quoted, Map<String, Object>> answer) {
    Optional<String> symbol = c.query().get("symbol");
    if (symbol.isPresent()) {
      SymbolRule rule = rules.rules().get(symbol.get());
      if (rule == null) return done(BinanceErrors.invalidSymbol());
      Quoted q = quoted(rule);
      return done(q == null ? noQuote() : Json.ok(answer.apply(q)));
    }
    List<Map<String, Object>> all = new ArrayList<>();
    for (SymbolRule rule : rules.rules().values()) {
      Quoted q = quoted(rule);
      if (q != null) all.add(answer.apply(q));
    }
    return done(Json.ok(all));
  }

  private record Quoted(SymbolRule rule, MarketData.Quote quote) {
    /** The link knows the touch, not the last trade: the mid, on the tick. */
    BigDecimal mid() {
      return quote.bid().add(quote.ask()).divide(BigDecimal.valueOf(2), rule.tickSize().scale(), RoundingMode.HALF_EVEN);
    }
  }

  private Quoted quoted(SymbolRule rule) {
    MarketData.Quote quote = marketData.quote(rule.symbol());
    return quote == null || quote.bid() == null || quote.ask() == null ? null : new Quoted(rule, quote);
  }

  private static HttpResponse noQuote() {
    return response(503, BinanceErrors.INTERNAL, "No quote from the venue yet; retry shortly.").addHeader(RetryAfter.create(1L));
  }

  private Map<String, Object> tickerPrice(Quoted q) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("symbol", q.rule().symbol());
    t.put("price", q.mid());
    return t;
  }

  private Map<String, Object> bookTicker(Quoted q) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("symbol", q.rule().symbol());
    t.put("bidPrice", q.quote().bid());
    t.put("bidQty", q.rule().touchQty());
    t.put("askPrice", q.quote().ask());
    t.put("askQty", q.rule().touchQty());
    return t;
  }

  /** The venue link keeps no trade statistics: last and open are the mid, volumes zero (docs/binance-front.md). */
  private Map<String, Object> ticker24hr(Quoted q) {
    BigDecimal mid = q.mid();
    long now = clock.millis();
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("symbol", q.rule().symbol());
    t.put("priceChange", BigDecimal.ZERO);
    t.put("priceChangePercent", BigDecimal.ZERO);
    t.put("weightedAvgPrice", mid);
    t.put("prevClosePrice", mid);
    t.put("lastPrice", mid);
    t.put("lastQty", BigDecimal.ZERO);
    t.put("bidPrice", q.quote().bid());
    t.put("bidQty", q.rule().touchQty());
    t.put("askPrice", q.quote().ask());
    t.put("askQty", q.rule().touchQty());
    t.put("openPrice", mid);
    t.put("highPrice", mid);
    t.put("lowPrice", mid);
    t.put("volume", BigDecimal.ZERO);
    t.put("quoteVolume", BigDecimal.ZERO);
    t.put("openTime", now - 86_400_000L);
    t.put("closeTime", now);
    t.put("firstId", -1);
    t.put("lastId", -1);
    t.put("count", 0);
    return t;
  }

  /** The link knows the touch: one level a side, each showing the symbol's touch size. */
  CompletionStage<HttpResponse> depth(Call<Auth.BinanceKey> c) {
    Optional<String> symbol = c.query().get("symbol");
    if (symbol.isEmpty()) return done(BinanceErrors.mandatory("symbol"));
    SymbolRule rule = rules.rules().get(symbol.get());
    if (rule == null) return done(BinanceErrors.invalidSymbol());
    Long limit = c.query().get("limit").map(BinanceErrors::number).orElse(100L);
    if (limit == null || !DEPTH_LIMITS.contains(limit.intValue())) return done(BinanceErrors.illegal("limit", DEPTH_LIMITS.toString()));
    Quoted q = quoted(rule);
    if (q == null) return done(noQuote());
    Map<String, Object> book = new LinkedHashMap<>();
    book.put("lastUpdateId", q.quote().time().toEpochMilli());
    book.put("bids", List.of(List.of(q.quote().bid(), rule.touchQty())));
    book.put("asks", List.of(List.of(q.quote().ask(), rule.touchQty())));
    return done(Json.ok(book));
  }

  CompletionStage<HttpResponse> account(Call<Auth.BinanceKey> c) {
    // the executor's own fees are none: the venue's are in its fills
    return account.balances().thenApply(balances -> Json.ok(BinanceOrders.account(BigDecimal.ZERO, balances, clock.millis()))).exceptionally(e -> response(503, BinanceErrors.INTERNAL, "The venue's account is not available now; retry shortly.")
        .addHeader(RetryAfter.create(1L)));
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }
}
