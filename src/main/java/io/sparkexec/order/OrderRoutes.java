package io.sparkexec.order;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEnd;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.ApiErrors;
import io.sparkexec.http.Auth;
import io.sparkexec.http.Json;
import io.sparkexec.http.RouteMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.Route;

/** The order API over HTTP: place, get, cancel, open orders. Rules live in {@link OrderService}. */
public final class OrderRoutes {

  /** {@code openOrdersLimit}: the page GET /open-orders answers without ?limit; {@code openOrdersMaxLimit}: the largest ?limit. */
  public record Settings(long maxBodyBytes, int openOrdersLimit, int openOrdersMaxLimit) {
    public static Settings fromConfig(com.typesafe.config.Config http) {
      Settings s = new Settings(http.getBytes("max-body-bytes"), http.getInt("open-orders-limit"), http.getInt("open-orders-max-limit"));
      if (s.openOrdersLimit() < 1 || s.openOrdersLimit() > s.openOrdersMaxLimit()) {
        throw new IllegalArgumentException("spark.http.open-orders-limit must be from 1 to open-orders-max-limit: " + s.openOrdersLimit());
      }
      return s;
    }
  }

  private final OrderService orders;
  private final Auth auth;
  private final Settings settings;

  public OrderRoutes(OrderService orders, Auth auth, Settings settings) {
    this.orders = orders;
    this.auth = auth;
    this.settings = settings;
  }

  public Route route() {
    return pathPrefix("api", () -> pathPrefix("private", () -> concat(
        pathPrefix("order", () -> concat(
            pathEnd(() -> RouteMetrics.template("/api/private/order", () ->
                post(() -> auth.require(Auth.Role.TRADER, p -> place(scope(p)))))),
            path(id -> RouteMetrics.template("/api/private/order/{clientOrderId}", () -> concat(
                get(() -> auth.require(Auth.Role.TRADER, p -> orderId(id, () -> getOrder(id, scope(p))))),
                delete(() -> auth.require(Auth.Role.TRADER, p -> orderId(id, () -> cancel(id, scope(p)))))))))),
        path("open-orders", () -> RouteMetrics.template("/api/private/open-orders", () -> concat(
            get(() -> auth.require(Auth.Role.TRADER, p -> openOrders(scope(p)))),
            delete(() -> auth.require(Auth.Role.TRADER, p -> cancelOpen(scope(p))))))))));
  }

  /** The strategies a key is bound to; admin keys and unbound keys see every strategy. */
  public static Scope scope(Auth.Principal p) {
    if (p.internal()) return Scope.internal(p.strategies());
    return p.role() == Auth.Role.ADMIN ? Scope.ALL : Scope.of(p.strategies());
  }

  private Route place(Scope scope) {
    return withOrderRequest(request -> placeRequest(request, scope));
  }

  /**
   * An order body read and validated as a place request (media type, size, JSON, fields) before
   * {@code handler} sees it; a bad body answers 4xx naming the field. Shared with shadow orders.
   */
  public Route withOrderRequest(Function<OrderRequest, CompletionStage<HttpResponse>> handler) {
    return Json.body(settings.maxBodyBytes(), OrderRoutes::bodyRefused, body ->
        parameterOptional("respType", respType -> completeWithFuture(parseBody(body, respType.orElse(null), handler))));
  }

  /** Counted and logged as every refused order is. */
  private static HttpResponse bodyRefused(Json.Refusal r) {
    Rejection rejection = new Rejection(r.status() == 415 ? Rejection.Kind.UNSUPPORTED : Rejection.Kind.INVALID, r.code(), r.message(),
        r.field(), r.details() == null ? Map.of() : r.details());
    return refused(OrderService.refuse(rejection, null).rejection());
  }

  private static CompletionStage<HttpResponse> parseBody(JsonNode body, String respTypeParam,
      Function<OrderRequest, CompletionStage<HttpResponse>> handler) {
    OrderRequest.Parsed parsed = OrderRequest.parse(body, respTypeParam, OrderService::newClientOrderId);
    if (parsed.rejection() != null) return done(refused(OrderService.refuse(parsed.rejection(), null).rejection()));
    return handler.apply(parsed.request());
  }

  private CompletionStage<HttpResponse> placeRequest(OrderRequest request, Scope scope) {
    return orders.place(request, scope).thenApply(outcome -> {
      if (outcome instanceof OrderService.Placed placed) {
        boolean early = placed.waitedOut() || request.respType() == OrderRequest.RespType.ACCEPTED;
        return Json.response(early ? StatusCodes.ACCEPTED : StatusCodes.OK, OrderJson.of(placed.order()));
      }
      if (outcome instanceof OrderService.Conflicting conflict) {
        // another strategy's order is not shown to a key that may not see it
        return ApiErrors.response(409, "IDEMPOTENCY_CONFLICT", "clientOrderId " + request.clientOrderId() + " is taken by an order with another body",
            "clientOrderId", conflict.existing() == null ? null : Map.of("existing", OrderJson.of(conflict.existing())));
      }
      if (outcome instanceof OrderService.Refused refused) return refused(refused.rejection());
      return outcomeUnknown(((OrderService.OutcomeUnknown) outcome).message());
    });
  }

  /** An id no order can have is refused as such, without a lookup and without echoing it (it may hold CR, LF or NUL). */
  private static Route orderId(String id, Supplier<Route> inner) {
    if (OrderRequest.isClientOrderId(id)) return inner.get();
    return complete(ApiErrors.response(400, "INVALID_FORMAT", "clientOrderId " + OrderRequest.CLIENT_ORDER_ID_RULE, "clientOrderId", null));
  }

  private Route getOrder(String id, Scope scope) {
    return completeWithFuture(orders.get(id, scope).thenApply(order -> order.map(o -> Json.ok(OrderJson.of(o))).orElseGet(() -> notFound(id))));
  }

  private Route cancel(String id, Scope scope) {
    return completeWithFuture(orders.cancel(id, scope).thenApply(outcome -> {
      if (outcome instanceof OrderService.CancelAnswered answered) {
        Order o = answered.order();
        return Json.response(o.status().isFinal() ? StatusCodes.OK : StatusCodes.ACCEPTED, OrderJson.of(o));
      }
      if (outcome instanceof OrderService.NotOpen notOpen) {
        return ApiErrors.response(409, "ORDER_NOT_OPEN", "order " + id + " is " + notOpen.order().status() + " and cannot be canceled",
            null, Map.of("order", OrderJson.of(notOpen.order())));
      }
      if (outcome instanceof OrderService.CancelUnknown unknown) return outcomeUnknown(unknown.message());
      return notFound(id);
    }));
  }

  /** Always one page: {@code limit} orders at most (a default when absent), {@code nextCursor} null on the last page. */
  private Route openOrders(Scope scope) {
    return parameterOptional("symbol", symbol -> parameterOptional("strategy", strategy -> parameterOptional("limit", limitParam ->
        parameterOptional("cursor", cursorParam -> {
          Integer limit = limitParam.isEmpty() ? Integer.valueOf(settings.openOrdersLimit()) : pageLimit(limitParam.get(), settings.openOrdersMaxLimit());
          if (limit == null) {
            return complete(ApiErrors.response(400, "INVALID_VALUE", "limit must be an integer from 1 to " + settings.openOrdersMaxLimit(),
                "limit", null));
          }
          Order.ListingKey after = cursorParam.map(OrderRoutes::decodeCursor).orElse(null);
          if (cursorParam.isPresent() && after == null) {
            return complete(ApiErrors.response(400, "INVALID_VALUE", "cursor must be a nextCursor this endpoint answered", "cursor", null));
          }
          return completeWithFuture(orders.openOrders(symbol.orElse(null), strategy.orElse(null), scope, after, limit).thenApply(page ->
              Json.ok(new OpenOrdersBody(page.orders().size(), page.orders().stream().map(OrderJson::of).toList(),
                  page.next() == null ? null : encodeCursor(page.next())))));
        }))));
  }

  private static Integer pageLimit(String value, int max) {
    try {
      int limit = Integer.parseInt(value);
      return limit >= 1 && limit <= max ? limit : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Opaque to clients: base64url of "acceptedAt|clientOrderId" (an id never holds '|'). */
  private static String encodeCursor(Order.ListingKey key) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString((key.accepted() + "|" + key.clientOrderId()).getBytes(StandardCharsets.UTF_8));
  }

  private static Order.ListingKey decodeCursor(String cursor) {
    try {
      String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      int bar = text.indexOf('|');
      if (bar < 0 || !OrderRequest.isClientOrderId(text.substring(bar + 1))) return null;
      return new Order.ListingKey(Instant.parse(text.substring(0, bar)), text.substring(bar + 1));
    } catch (IllegalArgumentException | DateTimeParseException e) {
      return null;
    }
  }

  private Route cancelOpen(Scope scope) {
    return parameterOptional("symbol", symbol -> parameterOptional("strategy", strategy -> completeWithFuture(
        orders.cancelOpen(symbol.orElse(null), strategy.orElse(null), scope).thenApply(OrderRoutes::massCanceled))));
  }

  private static HttpResponse massCanceled(OrderService.MassCanceled result) {
    List<Object> orders = new ArrayList<>(result.outcomes().size());
    int unknown = 0;
    for (OrderService.CancelOutcome outcome : result.outcomes()) {
      if (outcome instanceof OrderService.CancelAnswered a) orders.add(OrderJson.of(a.order()));
      else if (outcome instanceof OrderService.NotOpen n) orders.add(OrderJson.of(n.order()));
      else if (outcome instanceof OrderService.CancelUnknown) unknown++;
    }
    return Json.ok(Map.of("matched", result.matched(), "unknown", unknown, "orders", orders));
  }

  private record OpenOrdersBody(int count, List<OrderJson> orders, String nextCursor) {}

  private static HttpResponse notFound(String id) {
    return ApiErrors.response(404, "ORDER_NOT_FOUND", "no order with clientOrderId " + id, "clientOrderId", null);
  }

  private static HttpResponse outcomeUnknown(String message) {
    return ApiErrors.retryLater(503, "OUTCOME_UNKNOWN", message, 1, null);
  }

  /** A refusal as an HTTP answer: its kind's status, the JSON error body, Retry-After on 429/503. */
  public static HttpResponse refused(Rejection r) {
    HttpResponse response = ApiErrors.response(r.kind().httpStatus, r.code(), r.message(), r.field(), r.details());
    return r.kind() == Rejection.Kind.TOO_MANY || r.kind() == Rejection.Kind.UNAVAILABLE
        ? response.addHeader(RetryAfter.create(1L))
        : response;
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }
}
