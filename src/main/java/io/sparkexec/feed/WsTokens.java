package io.sparkexec.feed;

import io.sparkexec.http.Auth;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Short-lived, single-use tokens that let a browser (which cannot set headers on a WebSocket
 * request) open {@code /ws/feed?token=...} without an API key in the URL. The store is
 * bounded: when full of live tokens, issuing is refused until some expire or are used.
 */
public final class WsTokens {

  public record Issued(String token, Instant expiresAt) {}

  private record Entry(Auth.Principal principal, Instant expiresAt) {}

  private final Map<String, Entry> tokens = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();
  private final Duration ttl;
  private final int max;
  private final Clock clock;

  public WsTokens(Duration ttl, int max, Clock clock) {
    this.ttl = ttl;
    this.max = max;
    this.clock = clock;
  }

  public Duration ttl() {
    return ttl;
  }

  /** Empty when the store holds {@code max} live tokens. */
  public Optional<Issued> issue(Auth.Principal principal) {
    if (tokens.size() >= max) {
      purgeExpired();
      if (tokens.size() >= max) return Optional.empty();
    }
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    Instant expiresAt = clock.instant().plus(ttl);
    tokens.put(token, new Entry(principal, expiresAt));
    return Optional.of(new Issued(token, expiresAt));
  }

  /** The token's principal if it exists and has not expired; either way it cannot be used again. */
  public Optional<Auth.Principal> redeem(String token) {
    Entry e = tokens.remove(token);
    if (e == null || !clock.instant().isBefore(e.expiresAt())) return Optional.empty();
    return Optional.of(e.principal());
  }

  int size() {
    return tokens.size();
  }

  private void purgeExpired() {
    Instant now = clock.instant();
    tokens.values().removeIf(e -> !now.isBefore(e.expiresAt()));
  }
}
