package io.sparkexec.risk;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.put;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import io.sparkexec.http.ApiErrors;
import io.sparkexec.http.Auth;
import io.sparkexec.http.Json;
import io.sparkexec.http.RouteMetrics;
import io.sparkexec.order.BodyFields;
import io.sparkexec.order.OrderRoutes;
import io.sparkexec.order.OrderService;
import io.sparkexec.order.Scope;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.server.Route;

/** The guardrails over HTTP: kill switch, limits, audit log, positions, heartbeat, key reload. Rules live in {@link Risk}. */
public final class RiskRoutes {

  private static final int MAX_REASON = 500;

  private final Risk risk;
  private final Auth auth;
  private final Supplier<Config> authConfig;
  private final Executor blocking;
  private final long maxBodyBytes;

  /** {@code authConfig} reads spark.auth afresh (a file read: run on {@code blocking}). */
  public RiskRoutes(Risk risk, Auth auth, Supplier<Config> authConfig, Executor blocking, long maxBodyBytes) {
    this.risk = risk;
    this.auth = auth;
    this.authConfig = authConfig;
    this.blocking = blocking;
    this.maxBodyBytes = maxBodyBytes;
  }

  public Route route() {
    return pathPrefix("api", () -> pathPrefix("private", () -> concat(
        path("kill-switch", () -> RouteMetrics.template("/api/private/kill-switch", () -> concat(
            get(() -> auth.require(Auth.Role.TRADER, p -> complete(Json.ok(tradingState(risk.book().guardrails()))))),
            post(() -> auth.require(Auth.Role.ADMIN, this::engage))))),
        pathPrefix("risk", this::riskRoutes),
        path("positions", () -> RouteMetrics.template("/api/private/positions", () ->
            get(() -> auth.require(Auth.Role.TRADER, this::positions)))),
        path("heartbeat", () -> RouteMetrics.template("/api/private/heartbeat", () ->
            post(() -> auth.require(Auth.Role.TRADER, this::heartbeat)))),
        pathPrefix("auth", () -> path("reload", () -> RouteMetrics.template("/api/private/auth/reload", () ->
            post(() -> auth.require(Auth.Role.ADMIN, p -> reloadKeys()))))))));
  }

  private Route riskRoutes() {
    return concat(
        path("limits", () -> RouteMetrics.template("/api/private/risk/limits", () -> concat(
            get(() -> auth.require(Auth.Role.TRADER, p -> complete(Json.ok(limits())))),
            put(() -> auth.require(Auth.Role.ADMIN, this::setLimit))))),
        path("audit", () -> RouteMetrics.template("/api/private/risk/audit", () ->
            get(() -> auth.require(Auth.Role.TRADER, p -> complete(Json.ok(Map.of("entries", risk.book().guardrails().audit()))))))));
  }

  private Route positions(Auth.Principal p) {
    return parameterOptional("strategy", s -> complete(Json.ok(positions(s.orElse(null), OrderRoutes.scope(p)))));
  }

  private static Map<String, Object> tradingState(Guardrails.State g) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("state", g.tradingState().name());
    m.put("reason", g.reason());
    m.put("by", g.by());
    m.put("since", g.since());
    return m;
  }

  private Route engage(Auth.Principal p) {
    return jsonBody(body -> {
      BodyFields f = new BodyFields(body, Set.of("state", "reason", "cancelOpen"));
      TradingState to = f.enumValue("state", TradingState.class, true);
      String reason = f.text("reason", true, MAX_REASON);
      boolean cancelOpen = f.bool("cancelOpen");
      if (f.rejection() != null) return complete(OrderRoutes.refused(f.rejection()));
      return completeWithFuture(risk.setTradingState(to, reason, cancelOpen, p.name()).thenApply(engaged -> {
        Map<String, Object> m = tradingState(engaged.state());
        if (engaged.canceled() != null) m.put("canceled", canceledCounts(engaged.canceled()));
        return Json.ok(m);
      }));
    });
  }

  private static Map<String, Object> canceledCounts(OrderService.MassCanceled c) {
    long unknown = c.outcomes().stream().filter(o -> o instanceof OrderService.CancelUnknown).count();
    return Map.of("matched", c.matched(), "unknown", unknown);
  }

  private Map<String, Object> limits() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("limits", Limit.toApi(risk.book().limits()));
    m.put("defaults", Limit.toApi(risk.settings().defaults()));
    return m;
  }

  private Route setLimit(Auth.Principal p) {
    return jsonBody(body -> {
      BodyFields f = new BodyFields(body, Set.of("limit", "value", "reason"));
      String name = f.text("limit", true, 64);
      Limit limit = name == null ? null : Limit.byApiName(name);
      if (name != null && limit == null) {
        f.fail("limit", "INVALID_VALUE", "limit must be one of " + String.join(", ", Limit.toApi(risk.settings().defaults()).keySet()));
      }
      BigDecimal value = f.decimal("value", true, true);
      String reason = f.text("reason", true, MAX_REASON);
      if (f.rejection() == null && limit.invalid(value) != null) f.fail("value", "INVALID_VALUE", limit.invalid(value));
      if (f.rejection() != null) return complete(OrderRoutes.refused(f.rejection()));
      return completeWithFuture(risk.setLimit(limit, value, reason, p.name()).thenApply(state -> Json.ok(limits())));
    });
  }

  private Map<String, Object> positions(String strategy, Scope scope) {
    List<Map<String, Object>> rows = new ArrayList<>();
    risk.positions().entrySet().stream()
        .filter(e -> (strategy == null || strategy.equals(e.getKey())) && scope.permits(e.getKey()))
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> e.getValue().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(pos -> rows.add(
            Map.of("strategy", e.getKey(), "symbol", pos.getKey(), "quantity", pos.getValue().stripTrailingZeros().toPlainString()))));
    return Map.of("positions", rows);
  }

  private Route heartbeat(Auth.Principal p) {
    return jsonBody(body -> {
      BodyFields f = new BodyFields(body, Set.of("strategy", "windowMs"));
      String strategy = f.matching("strategy", BodyFields.STRATEGY, BodyFields.STRATEGY_RULE, true);
      Long windowMs = f.wholeNumber("windowMs");
      Risk.Settings s = risk.settings();
      if (windowMs != null && windowMs != 0
          && (windowMs < s.deadManMinWindow().toMillis() || windowMs > s.deadManMaxWindow().toMillis())) {
        f.fail("windowMs", "OUT_OF_RANGE", "windowMs must be 0 (disarm) or between " + s.deadManMinWindow().toMillis() + " and "
            + s.deadManMaxWindow().toMillis());
      }
      if (f.rejection() != null) return complete(OrderRoutes.refused(f.rejection()));
      Scope scope = OrderRoutes.scope(p);
      if (!scope.permits(strategy)) {
        return complete(ApiErrors.response(403, "STRATEGY_NOT_PERMITTED", "this API key may only use strategies " + scope.strategies(),
            "strategy", null));
      }
      return completeWithFuture(risk.heartbeat(strategy, Duration.ofMillis(windowMs), p.name()).thenApply(Json::ok));
    });
  }

  private Route reloadKeys() {
    return completeWithFuture(CompletableFuture.supplyAsync(() -> auth.reload(authConfig.get()), blocking)
        .thenApply(n -> Json.ok(Map.of("keys", n)))
        .exceptionally(e -> {
          Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
          return ApiErrors.response(422, "INVALID_KEYS_CONFIG", "the keys were not changed: " + cause.getMessage(), "spark.auth.keys", null);
        }));
  }

  private Route jsonBody(Function<JsonNode, Route> inner) {
    return Json.body(maxBodyBytes, inner);
  }
}
