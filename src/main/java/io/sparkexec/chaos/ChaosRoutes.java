package io.sparkexec.chaos;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEnd;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.ApiErrors;
import io.sparkexec.http.Auth;
import io.sparkexec.http.Json;
import io.sparkexec.http.RouteMetrics;
import io.sparkexec.order.BodyFields;
import io.sparkexec.order.OrderRoutes;
import io.sparkexec.order.Rejection;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The chaos switchboard over HTTP, admin only: GET the settings and audit log, POST new settings
 * (the seed's /toggle as an alias), POST /off (the emergency stop). Bad input answers 400 naming
 * the field and the rule, and nothing is journaled. Rules live in {@link ChaosService}.
 */
public final class ChaosRoutes {

  private static final int MAX_REASON = 500;
  private static final int MAX_SCOPE_ENTRIES = 50;
  private static final Pattern ROUTE_PREFIX = Pattern.compile("/api/private/[A-Za-z0-9/_.-]{0,200}");
  private static final Pattern SYMBOL = Pattern.compile("[A-Z0-9]{1,20}");
  private static final Set<String> SET_FIELDS =
      Set.of("httpErrorPct", "httpLatencyMs", "venueErrorPct", "venueLatencyMs", "venueTimeoutPct", "wsFlapSec", "scope", "reason");
  private static final Set<String> TOGGLE_FIELDS = Set.of("httpErrorPct", "latencyMs", "wsFlapSec", "reason");

  private final ChaosService chaos;
  private final Auth auth;
  private final long maxBodyBytes;

  public ChaosRoutes(ChaosService chaos, Auth auth, long maxBodyBytes) {
    this.chaos = chaos;
    this.auth = auth;
    this.maxBodyBytes = maxBodyBytes;
  }

  public Route route() {
    // the method is matched before the key, so a wrong method answers 405 whoever asks
    return pathPrefix("api", () -> pathPrefix("private", () -> pathPrefix("chaos", () -> concat(
        pathEnd(() -> RouteMetrics.template("/api/private/chaos", () -> concat(
            get(() -> auth.require(Auth.Role.ADMIN, p -> completeWithFuture(chaos.view().thenApply(Json::ok)))),
            post(() -> auth.require(Auth.Role.ADMIN, p -> Json.body(maxBodyBytes, body -> set(body, p))))))),
        path("toggle", () -> RouteMetrics.template("/api/private/chaos/toggle", () ->
            post(() -> auth.require(Auth.Role.ADMIN, p -> Json.body(maxBodyBytes, body -> toggle(body, p)))))),
        path("off", () -> RouteMetrics.template("/api/private/chaos/off", () ->
            post(() -> auth.require(Auth.Role.ADMIN, p -> Json.body(maxBodyBytes, body -> off(body, p))))))))));
  }

  /** Every setting at once: a field left out is 0 (off), so what was posted is exactly what is in force. */
  private Route set(JsonNode body, Auth.Principal p) {
    BodyFields f = new BodyFields(body, SET_FIELDS);
    ChaosSettings to = new ChaosSettings(
        number(f, body, "httpErrorPct", ChaosSettings.MAX_PCT), number(f, body, "httpLatencyMs", ChaosSettings.MAX_LATENCY_MS),
        number(f, body, "venueErrorPct", ChaosSettings.MAX_PCT), number(f, body, "venueLatencyMs", ChaosSettings.MAX_LATENCY_MS),
        number(f, body, "venueTimeoutPct", ChaosSettings.MAX_PCT), number(f, body, "wsFlapSec", ChaosSettings.MAX_FLAP_SEC),
        scope(f, body));
    return change(f, to, "set", p);
  }

  private Route toggle(JsonNode body, Auth.Principal p) {
    BodyFields f = new BodyFields(body, TOGGLE_FIELDS);
    ChaosSettings to = new ChaosSettings(number(f, body, "httpErrorPct", ChaosSettings.MAX_PCT),
        number(f, body, "latencyMs", ChaosSettings.MAX_LATENCY_MS), 0, 0, 0, number(f, body, "wsFlapSec", ChaosSettings.MAX_FLAP_SEC),
        ChaosSettings.Scope.EVERYWHERE);
    return change(f, to, "toggle", p);
  }

  /** The emergency stop: an empty body is fine. */
  private Route off(JsonNode body, Auth.Principal p) {
    return change(new BodyFields(body.isMissingNode() ? Json.MAPPER.createObjectNode() : body, Set.of("reason")), ChaosSettings.OFF, "off", p);
  }

  private Route change(BodyFields f, ChaosSettings to, String action, Auth.Principal p) {
    String reason = f.text("reason", false, MAX_REASON);
    if (f.rejection() != null) return complete(OrderRoutes.refused(f.rejection()));
    if (chaos.settings().refuses(to)) {
      return complete(ApiErrors.response(409, "CHAOS_REFUSED_LIVE", new ChaosService.RefusedLive().getMessage(), null, null));
    }
    return completeWithFuture(chaos.change(to, action, reason, p.name()).thenApply(Json::ok));
  }

  private static int number(BodyFields f, JsonNode body, String name, int max) {
    if (!body.hasNonNull(name)) return 0;
    Long v = f.wholeNumber(name);
    if (v == null) return 0;
    if (v < 0 || v > max) f.fail(name, "OUT_OF_RANGE", name + " must be between 0 and " + max);
    return v.intValue();
  }

  private static ChaosSettings.Scope scope(BodyFields f, JsonNode body) {
    JsonNode scope = body.get("scope");
    if (f.rejection() != null || scope == null || scope.isNull()) return ChaosSettings.Scope.EVERYWHERE;
    Rejection shape = new BodyFields(scope, Set.of("routes", "symbols")).rejection();
    if (shape != null) {
      return f.fail(shape.field() == null ? "scope" : "scope." + shape.field(), shape.code(), "scope: " + shape.message());
    }
    List<String> routes = list(f, scope, "routes", ROUTE_PREFIX, "must each be a path prefix starting with /api/private/");
    List<String> symbols = list(f, scope, "symbols", SYMBOL, "must each be 1-20 characters of A-Z 0-9");
    return f.rejection() != null ? null : new ChaosSettings.Scope(routes, symbols);
  }

  private static List<String> list(BodyFields f, JsonNode scope, String name, Pattern pattern, String rule) {
    String field = "scope." + name;
    JsonNode n = scope.get(name);
    if (n == null || n.isNull()) return List.of();
    if (!n.isArray() || n.size() > MAX_SCOPE_ENTRIES) {
      return f.fail(field, "INVALID_TYPE", field + " must be an array of at most " + MAX_SCOPE_ENTRIES + " strings");
    }
    List<String> values = new ArrayList<>();
    for (JsonNode e : n) {
      if (!e.isTextual() || !pattern.matcher(e.textValue()).matches()) return f.fail(field, "INVALID_FORMAT", field + " " + rule);
      values.add(e.textValue());
    }
    return values;
  }
}
