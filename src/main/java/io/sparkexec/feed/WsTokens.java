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
 * bounded, node-wide and per key (one key cannot take every token): when either is full of live
 * tokens, issuing is refused until some expire or are used.
 */
public final class WsTokens {

  public record Issued(String token, Instant expiresAt) {}

  private record Entry(Auth.Principal principal, Instant expiresAt) {}

  private final Map<String, Entry> tokens = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();
  private final Duration ttl;
  // live tokens by key name: changed exactly once per token added or removed
  private final Map<String, Integer> perKey = new ConcurrentHashMap<>();
  private final int max;
  private final int maxPerKey;
  private final Clock clock;

  public WsTokens(Duration ttl, int max, int maxPerKey, Clock clock) {
    this.ttl = ttl;
    this.max = max;
    this.maxPerKey = maxPerKey;
    this.clock = clock;
  }

  /** Why {@link #issue} refused. */
  public enum Full { NODE, KEY }

  public Duration ttl() {
    return ttl;
  }

  /** The store is full for this key: {@link Full#NODE} at {@code max} live tokens, {@link Full#KEY} at {@code maxPerKey} of its own; empty if a token can be issued. */
  public Optional<Full> full(Auth.Principal principal) {
    if (tokens.size() >= max || held(principal) >= maxPerKey) purgeExpired();
    if (tokens.size() >= max) return Optional.of(Full.NODE);
    return held(principal) >= maxPerKey ? Optional.of(Full.KEY) : Optional.empty();
  }

  private int held(Auth.Principal principal) {
    return perKey.getOrDefault(principal.name(), 0);
  }

  /** Empty when the store is {@link #full} for this key. */
  public Optional<Issued> issue(Auth.Principal principal) {
    if (full(principal).isPresent()) return Optional.empty();
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    Instant expiresAt = clock.instant().plus(ttl);
    tokens.put(token, new Entry(principal, expiresAt));
    perKey.merge(principal.name(), 1, Integer::sum);
    return Optional.of(new Issued(token, expiresAt));
  }

  /** The token's principal if it exists and has not expired; either way it cannot be used again. */
  public Optional<Auth.Principal> redeem(String token) {
    Entry e = tokens.remove(token);
    if (e == null) return Optional.empty();
    released(e);
    if (!clock.instant().isBefore(e.expiresAt())) return Optional.empty();
    return Optional.of(e.principal());
  }

  int size() {
    return tokens.size();
  }

  private void released(Entry e) {
    perKey.computeIfPresent(e.principal().name(), (k, n) -> n > 1 ? n - 1 : null);
  }

  /** O(tokens), but only when a bound is reached, and the store is bounded. */
  private void purgeExpired() {
    Instant now = clock.instant();
    for (Map.Entry<String, Entry> t : tokens.entrySet()) {
      if (!now.isBefore(t.getValue().expiresAt()) && tokens.remove(t.getKey(), t.getValue())) released(t.getValue());
    }
  }
}
