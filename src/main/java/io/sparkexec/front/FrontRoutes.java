package io.sparkexec.front;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.put;

import com.typesafe.config.Config;
import io.sparkexec.binance.BinanceErrors;
import io.sparkexec.binance.RateLimits;
import io.sparkexec.binance.SignedCall;
import io.sparkexec.binance.SignedCall.Access;
import io.sparkexec.binance.SignedCall.Call;
import io.sparkexec.http.Auth;
import io.sparkexec.http.Json;
import io.sparkexec.order.OrderService;
import io.sparkexec.order.SymbolRulesGuard;
import io.sparkexec.shadow.ShadowService;
import io.sparkexec.venue.MarketData;
import io.sparkexec.venue.Signing;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.Query;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Binance-compatible front door (docs/binance-front.md): Binance spot's REST subset, signed
 * as Binance signs it, answered from the executor. Orders go through {@link OrderService} exactly
 * as the JSON API's do (readiness, guard chain, kill switch, limits, journal, batching); a refusal
 * comes back as the Binance error a bot already handles. Market data is the venue link's.
 */
public final class FrontRoutes {

  private static final Logger log = LoggerFactory.getLogger(FrontRoutes.class);

  private final SignedCall<Auth.BinanceKey> calls;
  private final FrontMarket market;
  private final FrontOrders trading;
  private final UserStreams streams;

  /**
   * {@code venueHttp}: spark.venue.http with VENUE=http (the account's balances are asked there), null with the in-process venue.
   * {@code shadow}: with TRADE_MODE=shadow the service that answers orders instead, else null.
   * {@code orderEvents}: subscribes a listener to the feed's one reader of the order stream (FeedHub.onOrderEvent).
   */
  public FrontRoutes(FrontSettings settings, OrderService orders, Auth auth, SymbolRulesGuard rules, MarketData marketData, Config venueHttp,
      ShadowService shadow, Function<Consumer<String>, Runnable> orderEvents, ActorSystem<?> system, Clock clock) {
    FrontHistory history = new FrontHistory(settings.historyPerSymbol(), settings.rememberedOrderIds());
    VenueAccount account = new VenueAccount(venueHttp == null ? null : new VenueAccount.Link(venueHttp.getString("url").replaceAll("/+$", ""),
        venueHttp.getString("api-key"), new Signing(venueHttp.getString("api-secret")), venueHttp.getLong("recv-window-ms")),
        settings.accountCache(), system, clock);
    this.market = new FrontMarket(rules, marketData, account, settings.rateLimits(), clock);
    this.trading = new FrontOrders(orders, rules, history, shadow);
    this.streams = new UserStreams(settings.userStream(), orders, history, orderEvents, Materializer.matFromSystem(system), clock);
    // the key file's pairs, as reloaded with it: each acts as its executor key
    this.calls = new SignedCall<>(new SignedCall.Keys<>() {
      @Override
      public Auth.BinanceKey find(String apiKey) {
        return auth.binanceKey(apiKey).orElse(null);
      }

      @Override
      public Signing signing(Auth.BinanceKey holder) {
        return new Signing(holder.secret());
      }

      @Override
      public String account(Auth.BinanceKey holder) {
        return holder.principal().name();
      }
    }, new RateLimits(settings.rateLimits(), "binance_front"), settings.maxBodyBytes(), settings.bodyReadTimeout(), "binance_front", clock);
  }

  public Route route() {
    return concat(
        pathPrefix("api", () -> pathPrefix("v3", this::api)),
        pathPrefix("ws", () -> path(PathMatchers.segment(), streams::connect)))
        .seal(BinanceErrors.rejections(), ExceptionHandler.newBuilder().match(RuntimeException.class, e -> {
          log.error("event=binance_front_request_failed error=\"{}\"", e.toString(), e);
          return complete(BinanceErrors.internalError());
        }).build());
  }

  /** Binance's endpoints, with Binance's request weights. */
  private Route api() {
    return concat(
        path("ping", () -> get(() -> calls.call(Access.PUBLIC, q -> 1, q -> 0, c -> done(Json.ok(Map.of()))))),
        path("time", () -> get(() -> calls.call(Access.PUBLIC, q -> 1, q -> 0, market::time))),
        path("exchangeInfo", () -> get(() -> calls.call(Access.PUBLIC, q -> 20, q -> 0, market::exchangeInfo))),
        pathPrefix("ticker", () -> concat(
            path("bookTicker", () -> get(() -> calls.call(Access.PUBLIC, FrontRoutes::tickerWeight, q -> 0, market::bookTicker))),
            path("24hr", () -> get(() -> calls.call(Access.PUBLIC, q -> q.get("symbol").isPresent() ? 2 : 80, q -> 0, market::ticker24hr))),
            path("price", () -> get(() -> calls.call(Access.PUBLIC, FrontRoutes::tickerWeight, q -> 0, market::tickerPrice))))),
        path("depth", () -> get(() -> calls.call(Access.PUBLIC, FrontRoutes::depthWeight, q -> 0, market::depth))),
        path("account", () -> get(() -> calls.call(Access.SIGNED, q -> 20, q -> 0, market::account))),
        path("order", () -> concat(
            post(() -> calls.call(Access.SIGNED, q -> 1, q -> 1, trading::place)),
            get(() -> calls.call(Access.SIGNED, q -> 4, q -> 0, trading::query)),
            delete(() -> calls.call(Access.SIGNED, q -> 1, q -> 0, trading::cancel)))),
        path("openOrders", () -> concat(
            get(() -> calls.call(Access.SIGNED, q -> q.get("symbol").isPresent() ? 6 : 80, q -> 0, trading::openOrders)),
            delete(() -> calls.call(Access.SIGNED, q -> 1, q -> 0, trading::cancelOpenOrders)))),
        path("allOrders", () -> get(() -> calls.call(Access.SIGNED, q -> 20, q -> 0, trading::allOrders))),
        path("myTrades", () -> get(() -> calls.call(Access.SIGNED, q -> q.get("orderId").isPresent() ? 5 : 20, q -> 0, trading::myTrades))),
        path("userDataStream", () -> concat(
            post(() -> calls.call(Access.API_KEY, q -> 2, q -> 0, c -> done(Json.ok(Map.of("listenKey", streams.open(c.holder())))))),
            put(() -> calls.call(Access.API_KEY, q -> 2, q -> 0, c -> listenKey(c, streams::keepAlive))),
            delete(() -> calls.call(Access.API_KEY, q -> 2, q -> 0, c -> listenKey(c, streams::close))))));
  }

  private static CompletionStage<HttpResponse> listenKey(Call<Auth.BinanceKey> c, java.util.function.BiPredicate<Auth.BinanceKey, String> action) {
    Optional<String> listenKey = c.query().get("listenKey");
    if (listenKey.isEmpty()) return done(BinanceErrors.mandatory("listenKey"));
    return done(action.test(c.holder(), listenKey.get()) ? Json.ok(Map.of()) : BinanceErrors.unknownListenKey());
  }

  private static int tickerWeight(Query q) {
    return q.get("symbol").isPresent() ? 2 : 4;
  }

  private static int depthWeight(Query q) {
    int limit = q.get("limit").map(BinanceErrors::number).map(Long::intValue).orElse(100);
    return limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250;
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }
}
