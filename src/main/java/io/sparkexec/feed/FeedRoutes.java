package io.sparkexec.feed;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByName;
import static org.apache.pekko.http.javadsl.server.Directives.parameterMap;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import io.sparkexec.http.ApiErrors;
import io.sparkexec.http.Auth;
import io.sparkexec.http.Json;
import io.sparkexec.http.RouteMetrics;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /ws/feed} (the WebSocket), {@code POST /api/private/ws-token} (a single-use token
 * for browsers) and {@code GET /api/private/websocket/status}.
 */
public final class FeedRoutes {

  private static final Set<String> KEY_PARAMS = Set.of("apikey", "api_key", "api-key", "key", "x-api-key");

  private final FeedHub hub;
  private final WsTokens tokens;
  private final Auth auth;

  public FeedRoutes(FeedHub hub, WsTokens tokens, Auth auth) {
    this.hub = hub;
    this.tokens = tokens;
    this.auth = auth;
  }

  public Route route() {
    return concat(
        pathPrefix("ws", () -> path("feed", () -> RouteMetrics.template("/ws/feed", () -> get(this::feed)))),
        pathPrefix("api", () -> pathPrefix("private", () -> concat(
            path("ws-token", () -> RouteMetrics.template("/api/private/ws-token", () ->
                post(() -> auth.require(Auth.Role.TRADER, this::issueToken)))),
            path(segment("websocket").slash("status"), () -> RouteMetrics.template("/api/private/websocket/status", () ->
                get(() -> auth.require(Auth.Role.ADMIN, p -> complete(Json.ok(hub.status()))))))))));
  }

  private Route feed() {
    return extractRequest(request -> parameterMap(params -> optionalHeaderValueByName(Auth.HEADER, key -> {
      if (params.keySet().stream().anyMatch(p -> KEY_PARAMS.contains(p.toLowerCase(Locale.ROOT)))) {
        return complete(ApiErrors.response(400, "API_KEY_IN_URL",
            "API keys never go in URLs: send the X-API-Key header, or a token from POST /api/private/ws-token as ?token=", null, null));
      }
      if (request.getAttribute(AttributeKeys.webSocketUpgrade).isEmpty()) {
        return complete(ApiErrors.response(400, "WEBSOCKET_UPGRADE_REQUIRED", "this endpoint speaks WebSocket only", null, null));
      }
      Optional<Set<Channel>> channels = channels(params.get("channels"));
      if (channels.isEmpty()) {
        return complete(ApiErrors.response(400, "UNKNOWN_CHANNEL", "channels is a comma-separated list of orders, market, system", "channels", null));
      }
      long from = params.containsKey("from") ? seq(params.get("from")) : -1;
      if (params.containsKey("from") && from < 0) {
        return complete(ApiErrors.response(400, "INVALID_VALUE", "from must be a non-negative seq", "from", null));
      }
      // before a token is spent on a connection that cannot be opened
      if (hub.full()) {
        return complete(ApiErrors.retryLater(503, "TOO_MANY_CONNECTIONS", "the feed is at its connection limit", 5, null));
      }
      Optional<Auth.Principal> principal = key.isPresent() ? auth.authenticate(key.get())
          : Optional.ofNullable(params.get("token")).flatMap(tokens::redeem);
      if (principal.isEmpty()) {
        String why = key.isPresent() ? "unknown API key" : params.containsKey("token") ? "unknown, used or expired token"
            : "X-API-Key header or ?token= required";
        return complete(ApiErrors.response(401, "UNAUTHORIZED", why, null, null));
      }
      if (hub.fullFor(principal.get())) {
        return complete(ApiErrors.retryLater(429, "KEY_CONNECTION_LIMIT", "this API key holds its maximum of feed connections"
            + " (spark.feed.max-connections-per-key); close one or retry later", 5, null));
      }
      return upgrade(request, principal.get(), channels.get(), from);
    })));
  }

  private Route upgrade(HttpRequest request, Auth.Principal principal, Set<Channel> channels, long from) {
    return hub.accept(request, principal, channels, from)
        .map(response -> complete(response))
        .orElseGet(() -> complete(ApiErrors.response(400, "WEBSOCKET_UPGRADE_REQUIRED", "this endpoint speaks WebSocket only", null, null)));
  }

  private Route issueToken(Auth.Principal principal) {
    if (tokens.full(principal).orElse(null) == WsTokens.Full.KEY) {
      return complete(ApiErrors.retryLater(429, "KEY_TOKEN_LIMIT", "this API key holds its maximum of unused tokens"
          + " (spark.feed.max-tokens-per-key); use or let some expire", 1, null));
    }
    return tokens.issue(principal)
        .map(t -> {
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("token", t.token());
          body.put("expiresAt", t.expiresAt());
          body.put("ttlSec", tokens.ttl().toSeconds());
          return complete(Json.ok(body));
        })
        .orElseGet(() -> complete(ApiErrors.retryLater(429, "TOO_MANY_TOKENS", "too many unused tokens; retry shortly", 1, null)));
  }

  /** Empty for an unknown channel name; no parameter means no channel yet (subscribe later). */
  private static Optional<Set<Channel>> channels(String param) {
    Set<Channel> set = EnumSet.noneOf(Channel.class);
    if (param == null || param.isBlank()) return Optional.of(set);
    for (String name : param.split(",")) {
      Optional<Channel> c = Channel.parse(name);
      if (c.isEmpty()) return Optional.empty();
      set.add(c.get());
    }
    return Optional.of(set);
  }

  private static long seq(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
