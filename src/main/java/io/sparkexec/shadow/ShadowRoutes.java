package io.sparkexec.shadow;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEnd;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import io.sparkexec.http.Auth;
import io.sparkexec.http.Json;
import io.sparkexec.http.RouteMetrics;
import io.sparkexec.order.OrderRequest;
import io.sparkexec.order.OrderRoutes;
import io.sparkexec.order.Scope;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Shadow orders over HTTP: POST /order/shadow, the shadow order list and the A/B report. With
 * TRADE_MODE=shadow, {@link #shadowEveryOrder} answers POST /order too (wired before the order
 * routes, so no order is ever placed). Bodies are validated exactly as real orders are.
 */
public final class ShadowRoutes {

  private final ShadowService shadow;
  private final Auth auth;
  private final OrderRoutes orderRoutes;

  public ShadowRoutes(ShadowService shadow, Auth auth, OrderRoutes orderRoutes) {
    this.shadow = shadow;
    this.auth = auth;
    this.orderRoutes = orderRoutes;
  }

  public Route route() {
    return pathPrefix("api", () -> pathPrefix("private", () -> concat(
        pathPrefix("order", () -> path("shadow", () -> RouteMetrics.template("/api/private/order/shadow", () ->
            post(() -> auth.require(Auth.Role.TRADER, p -> place(OrderRoutes.scope(p), ShadowOrder.REQUEST)))))),
        pathPrefix("shadow", () -> concat(
            path("orders", () -> RouteMetrics.template("/api/private/shadow/orders", () ->
                get(() -> auth.require(Auth.Role.TRADER, this::orders)))),
            path("report", () -> RouteMetrics.template("/api/private/shadow/report", () ->
                get(() -> auth.require(Auth.Role.TRADER, this::report)))))))));
  }

  private Route orders(Auth.Principal p) {
    return parameterOptional("strategy", s -> completeWithFuture(shadow.orders(s.orElse(null), OrderRoutes.scope(p))
        .thenApply(list -> Json.ok(Map.of("count", list.size(), "orders", list)))));
  }

  private Route report(Auth.Principal p) {
    return parameterOptional("strategy", s -> completeWithFuture(shadow.report(s.orElse(null), OrderRoutes.scope(p)).thenApply(Json::ok)));
  }

  /** TRADE_MODE=shadow: POST /api/private/order is shadowed, never placed. */
  public Route shadowEveryOrder() {
    return pathPrefix("api", () -> pathPrefix("private", () -> pathPrefix("order", () -> pathEnd(() ->
        RouteMetrics.template("/api/private/order", () -> post(() -> auth.require(Auth.Role.TRADER, p ->
            place(OrderRoutes.scope(p), ShadowOrder.MODE))))))));
  }

  private Route place(Scope scope, String source) {
    return orderRoutes.withOrderRequest(request -> answer(request, scope, source));
  }

  private CompletionStage<HttpResponse> answer(OrderRequest request, Scope scope, String source) {
    return shadow.place(request, scope, source).thenApply(outcome -> outcome instanceof ShadowService.Shadowed s
        ? Json.ok(s.order())
        : OrderRoutes.refused(((ShadowService.Refused) outcome).rejection()));
  }
}
