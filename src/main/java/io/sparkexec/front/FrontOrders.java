package io.sparkexec.front;

import static io.sparkexec.binance.BinanceErrors.response;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.put;
import io.sparkexec.binance.BinanceErrors;
import io.sparkexec.binance.BinanceOrders;
import io.sparkexec.binance.OrderParams;
import io.sparkexec.binance.SignedCall.Call;
import io.sparkexec.http.Auth;
import io.sparkexec.http.Json;
import io.sparkexec.order.Order;
import io.sparkexec.order.OrderRequest;
import io.sparkexec.order.OrderRoutes;
import io.sparkexec.order.OrderService;
import io.sparkexec.order.Rejection;
import io.sparkexec.order.Scope;
import io.sparkexec.order.SymbolRulesGuard;
import io.sparkexec.shadow.ShadowFill;
import io.sparkexec.shadow.ShadowOrder;
import io.sparkexec.shadow.ShadowService;
import java.math.BigDecimal;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import io.sparkexec.venue.Venue.Fill;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.Query;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;

/**
 * The front door's order endpoints, all through {@link OrderService} exactly as the JSON API's
 * (readiness, guard chain, kill switch, limits, journal, batching), within the key's scope; a
 * refusal comes back as the Binance error a bot already handles.
 */
final class FrontOrders {

  private static final int DEFAULT_PAGE = 500;
  // allOrders, myTrades and openOrders answer at most this many (Binance's largest page)
  private static final int MAX_PAGE = 1000;

  private final OrderService orders;
  private final SymbolRulesGuard rules;
  private final FrontHistory history;
  private final ShadowService shadow;

  /** {@code shadow}: with TRADE_MODE=shadow, the service that answers every order instead (nothing is sent); else null. */
  FrontOrders(OrderService orders, SymbolRulesGuard rules, FrontHistory history, ShadowService shadow) {
    this.orders = orders;
    this.rules = rules;
    this.history = history;
    this.shadow = shadow;
  }

  CompletionStage<HttpResponse> place(Call<Auth.BinanceKey> c) {
    OrderParams.Parsed parsed = OrderParams.parse(c.query()::get, s -> rules.rules().containsKey(s));
    if (parsed.error() != null) return done(response(400, parsed.error()));
    OrderParams.Place p = parsed.place();
    if (p.quoteOrderQty() != null) {
      return done(response(400, BinanceErrors.NOT_REQUIRED, "Parameter 'quoteOrderQty' is not supported here; send 'quantity'."));
    }
    if (p.clientOrderId() != null && !OrderRequest.isClientOrderId(p.clientOrderId())) {
      return done(BinanceErrors.illegal("newClientOrderId", OrderRequest.CLIENT_ORDER_ID_RULE));
    }
    String clientOrderId = p.clientOrderId() != null ? p.clientOrderId() : OrderService.newClientOrderId();
    TimeInForce tif = p.timeInForce() != null ? p.timeInForce() : TimeInForce.IOC;
    BinanceOrders.RespType answer = p.respType() != null ? p.respType() : BinanceOrders.RespType.FULL;
    OrderRequest request = new OrderRequest(clientOrderId, p.symbol(), p.side(), p.type(), tif, p.quantity(), p.price(), c.holder().strategy(),
        respType(answer, tif));
    if (shadow != null) return shadowed(request, scope(c), answer);
    return orders.place(request, scope(c)).thenApply(outcome -> {
      if (outcome instanceof OrderService.Placed placed) {
        history.placed(request.symbol(), clientOrderId);
        return Json.ok(BinanceOrders.placed(history.view(placed.order()), answer));
      }
      if (outcome instanceof OrderService.Conflicting) return response(400, BinanceErrors.NEW_ORDER_REJECTED, "Duplicate order sent.");
      if (outcome instanceof OrderService.Refused refused) return refused(refused.rejection());
      return outcomeUnknown(((OrderService.OutcomeUnknown) outcome).message());
    });
  }

  /** Shadow mode, as POST /api/private/order has it: the shadow's guards and simulated fill, recorded by the shadow book; nothing is sent. */
  private CompletionStage<HttpResponse> shadowed(OrderRequest request, Scope scope, BinanceOrders.RespType answer) {
    return shadow.place(request, scope, ShadowOrder.MODE).thenApply(outcome -> outcome instanceof ShadowService.Shadowed s
        ? Json.ok(BinanceOrders.placed(shadowView(s.order()), answer))
        : refused(((ShadowService.Refused) outcome).rejection()));
  }

  private static BinanceOrders.View shadowView(ShadowOrder o) {
    List<Fill> fills = new ArrayList<>(o.fills().size());
    for (int i = 0; i < o.fills().size(); i++) {
      ShadowFill.Fill f = o.fills().get(i);
      fills.add(new Fill(o.shadowId() + "-" + i, f.price(), f.quantity(), BigDecimal.ZERO, null, o.at()));
    }
    String status = o.status() == ShadowFill.Status.RESTING ? "NEW" : o.status().name();
    long at = o.at().toEpochMilli();
    return new BinanceOrders.View(o.symbol(), FrontHistory.orderId(o.clientOrderId()), o.clientOrderId(), o.price() == null ? BigDecimal.ZERO : o.price(),
        o.quantity(), status, o.timeInForce().name(), o.type().name(), o.side().name(), at, at, fills);
  }

  /**
   * Binance's ACK answers at once with the ids: ours once journaled (the orderId is ours, known
   * then). RESULT and FULL answer after matching: a MARKET, IOC or FOK order once final, a GTC
   * LIMIT once the venue acknowledged it (it may rest for days).
   */
  private static OrderRequest.RespType respType(BinanceOrders.RespType answer, TimeInForce tif) {
    if (answer == BinanceOrders.RespType.ACK) return OrderRequest.RespType.ACCEPTED;
    return tif == TimeInForce.GTC ? OrderRequest.RespType.ACKNOWLEDGED : OrderRequest.RespType.RESULT;
  }

  private static Scope scope(Call<Auth.BinanceKey> c) {
    return OrderRoutes.scope(c.holder().principal());
  }

  /** The mapping table in docs/binance-front.md. */
  static HttpResponse refused(Rejection r) {
    String msg = r.code() + ": " + r.message();
    return switch (r.code()) {
      case "UNKNOWN_SYMBOL" -> BinanceErrors.invalidSymbol();
      case "MIN_QTY", "MAX_QTY", "STEP_SIZE" -> response(400, BinanceErrors.FILTER_FAILURE, "Filter failure: LOT_SIZE (" + r.message() + ")");
      case "TICK_SIZE" -> response(400, BinanceErrors.FILTER_FAILURE, "Filter failure: PRICE_FILTER (" + r.message() + ")");
      case "MIN_NOTIONAL" -> response(400, BinanceErrors.FILTER_FAILURE, "Filter failure: NOTIONAL (" + r.message() + ")");
      default -> switch (r.kind()) {
        case TOO_MANY -> response(429, BinanceErrors.TOO_MANY_ORDERS, "Too many new orders; " + msg).addHeader(RetryAfter.create(1L));
        case UNAVAILABLE -> response(503, BinanceErrors.INTERNAL, "Service unavailable; " + msg).addHeader(RetryAfter.create(1L));
        default -> response(400, BinanceErrors.NEW_ORDER_REJECTED, msg);
      };
    };
  }

  private static HttpResponse outcomeUnknown(String message) {
    return response(503, BinanceErrors.TIMEOUT, "Timeout waiting for response from backend server. Send status unknown; execution status unknown. "
        + message).addHeader(RetryAfter.create(1L));
  }

  /** The order a query or cancel names, by origClientOrderId or orderId (both: they must agree); or the error refusing it. */
  private record Named(String symbol, String clientOrderId, HttpResponse error) {}

  private CompletionStage<Named> named(Call<Auth.BinanceKey> c, HttpResponse unknown) {
    Query q = c.query();
    Optional<String> symbol = q.get("symbol");
    Optional<String> clientOrderId = q.get("origClientOrderId");
    Optional<String> orderIdText = q.get("orderId");
    if (symbol.isEmpty()) return done(new Named(null, null, BinanceErrors.mandatory("symbol")));
    if (!rules.rules().containsKey(symbol.get())) return done(new Named(null, null, BinanceErrors.invalidSymbol()));
    if (orderIdText.isEmpty() && clientOrderId.isEmpty()) {
      return done(new Named(null, null, response(400, BinanceErrors.MANDATORY_PARAM,
          "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")));
    }
    if (clientOrderId.isPresent() && !OrderRequest.isClientOrderId(clientOrderId.get())) return done(new Named(null, null, unknown));
    if (orderIdText.isEmpty()) return done(new Named(symbol.get(), clientOrderId.get(), null));
    Long orderId = BinanceErrors.number(orderIdText.get());
    if (orderId == null) return done(new Named(null, null, BinanceErrors.illegal("orderId", "^[0-9]{1,18}$")));
    String known = clientOrderId.orElseGet(() -> history.clientOrderId(orderId));
    if (known != null) return done(FrontHistory.orderId(known) == orderId ? new Named(symbol.get(), known, null) : new Named(null, null, unknown));
    // not answered by this process (a restart since): an open order is still found by its id
    return orders.openOrders(symbol.get(), null, scope(c), null, MAX_PAGE).thenApply(page -> page.orders().stream()
        .filter(o -> FrontHistory.orderId(o.clientOrderId()) == orderId).findFirst()
        .map(o -> new Named(symbol.get(), o.clientOrderId(), null)).orElseGet(() -> new Named(null, null, unknown)));
  }

  CompletionStage<HttpResponse> query(Call<Auth.BinanceKey> c) {
    return named(c, BinanceErrors.unknownOrder()).thenCompose(named -> named.error() != null ? done(named.error())
        : orders.get(named.clientOrderId(), scope(c)).thenApply(order -> order.filter(o -> o.symbol().equals(named.symbol()))
            .map(o -> Json.ok(BinanceOrders.queried(history.view(o)))).orElseGet(BinanceErrors::unknownOrder)));
  }

  CompletionStage<HttpResponse> cancel(Call<Auth.BinanceKey> c) {
    return named(c, BinanceErrors.unknownCancel()).thenCompose(named -> {
      if (named.error() != null) return done(named.error());
      return orders.get(named.clientOrderId(), scope(c)).thenCompose(found -> {
        if (found.isEmpty() || !found.get().symbol().equals(named.symbol())) return done(BinanceErrors.unknownCancel());
        return orders.cancel(named.clientOrderId(), scope(c)).thenApply(outcome -> {
          if (outcome instanceof OrderService.CancelAnswered answered) return Json.ok(canceled(history.view(answered.order())));
          if (outcome instanceof OrderService.NotOpen notOpen) {
            return response(400, BinanceErrors.CANCEL_REJECTED, "Unknown order sent. (order is " + notOpen.order().status() + ")");
          }
          if (outcome instanceof OrderService.CancelUnknown unknown) return outcomeUnknown(unknown.message());
          return BinanceErrors.unknownCancel();
        });
      });
    });
  }

  /** Binance's cancel answer: the order with its original id. */
  private static Map<String, Object> canceled(BinanceOrders.View v) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("symbol", v.symbol());
    m.put("origClientOrderId", v.clientOrderId());
    m.put("orderId", v.orderId());
    m.put("orderListId", -1);
    m.put("clientOrderId", v.clientOrderId());
    m.put("transactTime", v.updateTime());
    m.put("price", v.price());
    m.put("origQty", v.origQty());
    m.put("executedQty", v.executedQty());
    m.put("cummulativeQuoteQty", v.cummulativeQuoteQty());
    m.put("status", v.status());
    m.put("timeInForce", v.timeInForce());
    m.put("type", v.type());
    m.put("side", v.side());
    return m;
  }

  CompletionStage<HttpResponse> openOrders(Call<Auth.BinanceKey> c) {
    Optional<String> symbol = c.query().get("symbol");
    if (symbol.isPresent() && !rules.rules().containsKey(symbol.get())) return done(BinanceErrors.invalidSymbol());
    return orders.openOrders(symbol.orElse(null), null, scope(c), null, MAX_PAGE)
        .thenApply(page -> Json.ok(page.orders().stream().map(o -> BinanceOrders.queried(history.view(o))).toList()));
  }

  /** Every open order of the symbol canceled; the answer lists them (-2011, as Binance answers, when none was open). */
  CompletionStage<HttpResponse> cancelOpenOrders(Call<Auth.BinanceKey> c) {
    Optional<String> symbol = c.query().get("symbol");
    if (symbol.isEmpty()) return done(BinanceErrors.mandatory("symbol"));
    if (!rules.rules().containsKey(symbol.get())) return done(BinanceErrors.invalidSymbol());
    return orders.cancelOpen(symbol.get(), null, scope(c)).thenApply(result -> {
      if (result.matched() == 0) return BinanceErrors.unknownCancel();
      List<Object> canceled = new ArrayList<>();
      for (OrderService.CancelOutcome outcome : result.outcomes()) {
        if (outcome instanceof OrderService.CancelAnswered a) canceled.add(canceled(history.view(a.order())));
      }
      return Json.ok(canceled);
    });
  }

  /** A page's bounds: from (orderId for allOrders, fromId for myTrades), startTime, endTime, limit; or the error refusing them. */
  private record Page(String symbol, Long from, long startTime, long endTime, int limit, HttpResponse error) {}

  private Page page(Query q, String fromParam) {
    Optional<String> symbol = q.get("symbol");
    if (symbol.isEmpty()) return new Page(null, null, 0, 0, 0, BinanceErrors.mandatory("symbol"));
    if (!rules.rules().containsKey(symbol.get())) return new Page(null, null, 0, 0, 0, BinanceErrors.invalidSymbol());
    long[] values = {-1, 0, Long.MAX_VALUE, DEFAULT_PAGE};
    String[] names = {fromParam, "startTime", "endTime", "limit"};
    for (int i = 0; i < names.length; i++) {
      Optional<String> text = q.get(names[i]);
      if (text.isEmpty()) continue;
      Long v = BinanceErrors.number(text.get());
      if (v == null) return new Page(null, null, 0, 0, 0, BinanceErrors.illegal(names[i], "^[0-9]{1,18}$"));
      values[i] = v;
    }
    if (values[3] < 1) return new Page(null, null, 0, 0, 0, BinanceErrors.illegal("limit", "1 to " + MAX_PAGE));
    return new Page(symbol.get(), values[0] < 0 ? null : values[0], values[1], values[2], (int) Math.min(values[3], MAX_PAGE), null);
  }

  /**
   * The symbol's orders this key may see, oldest first: those open now and those placed through
   * the front door lately (FrontHistory), each read from the order service.
   */
  private CompletionStage<List<Order>> known(String symbol, Scope scope) {
    return orders.openOrders(symbol, null, scope, null, MAX_PAGE).thenCompose(open -> {
      Set<String> seen = new HashSet<>();
      List<Order> all = new ArrayList<>(open.orders());
      for (Order o : all) seen.add(o.clientOrderId());
      List<CompletableFuture<Optional<Order>>> reads = new ArrayList<>();
      for (String id : history.placed(symbol)) if (!seen.contains(id)) reads.add(orders.get(id, scope).toCompletableFuture());
      return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(v -> {
        for (CompletableFuture<Optional<Order>> r : reads) r.join().ifPresent(all::add);
        all.sort(Comparator.comparing((Order o) -> o.timestamps().accepted() != null ? o.timestamps().accepted() : o.timestamps().received())
            .thenComparing(Order::clientOrderId));
        return all;
      });
    });
  }

  /** Binance: from orderId on when given, else the most recent {@code limit}; oldest first either way. */
  private static <T> List<T> window(List<T> items, int fromIndex, int limit) {
    if (fromIndex >= 0) return items.subList(fromIndex, Math.min(items.size(), fromIndex + limit));
    return items.subList(Math.max(0, items.size() - limit), items.size());
  }

  CompletionStage<HttpResponse> allOrders(Call<Auth.BinanceKey> c) {
    Page p = page(c.query(), "orderId");
    if (p.error() != null) return done(p.error());
    return known(p.symbol(), scope(c)).thenApply(all -> {
      List<BinanceOrders.View> views = all.stream().map(history::view)
          .filter(v -> v.time() >= p.startTime() && v.time() <= p.endTime()).toList();
      int from = -1;
      if (p.from() != null) {
        from = views.size();
        for (int i = 0; i < views.size(); i++) if (views.get(i).orderId() == p.from()) from = i;
      }
      return Json.ok(window(views, from, p.limit()).stream().map(BinanceOrders::queried).toList());
    });
  }

  private record Trade(BinanceOrders.View order, Fill fill, long id) {}

  CompletionStage<HttpResponse> myTrades(Call<Auth.BinanceKey> c) {
    Page p = page(c.query(), "fromId");
    if (p.error() != null) return done(p.error());
    Optional<String> orderIdText = c.query().get("orderId");
    Long orderId = orderIdText.map(BinanceErrors::number).orElse(null);
    if (orderIdText.isPresent() && orderId == null) return done(BinanceErrors.illegal("orderId", "^[0-9]{1,18}$"));
    return known(p.symbol(), scope(c)).thenApply(all -> {
      List<Trade> trades = new ArrayList<>();
      for (Order o : all) {
        BinanceOrders.View v = history.view(o);
        if (orderId != null && v.orderId() != orderId) continue;
        for (Fill f : o.fills()) {
          long t = f.time().toEpochMilli();
          long id = BinanceOrders.tradeId(f);
          if (t >= p.startTime() && t <= p.endTime() && (p.from() == null || id >= p.from())) trades.add(new Trade(v, f, id));
        }
      }
      trades.sort(Comparator.comparing((Trade t) -> t.fill().time()).thenComparingLong(Trade::id));
      return Json.ok(window(trades, p.from() != null ? 0 : -1, p.limit()).stream()
          .map(t -> BinanceOrders.trade(t.order().symbol(), t.order().orderId(), t.fill(), t.id(), Side.BUY.name().equals(t.order().side()), false))
          .toList());
    });
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }
}
