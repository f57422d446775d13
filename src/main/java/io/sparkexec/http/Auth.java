package io.sparkexec.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;

import com.typesafe.config.Config;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * API-key authentication ({@code X-API-Key}) and roles. admin may do all a trader may.
 * 401 without a key or with an unknown one, 403 for a role that may not.
 */
public final class Auth {

  public static final String HEADER = "X-API-Key";
  private static final String HEADER_LOWER = HEADER.toLowerCase(java.util.Locale.ROOT);
  private static final Logger log = LoggerFactory.getLogger(Auth.class);

  public enum Role {
    TRADER,
    ADMIN;

    boolean mayActAs(Role required) {
      return this == ADMIN || this == required;
    }
  }

  /**
   * Who is calling. The key itself is never kept here, so it cannot leak into logs.
   * {@code strategies}: the strategies a key is bound to (empty: not bound, every strategy).
   * {@code internal}: the executor's own synthetic traffic (canary, warm-up), see {@link #internalKey}.
   */
  public record Principal(String name, Role role, Set<String> strategies, boolean internal) {
    public Principal {
      strategies = Set.copyOf(strategies);
    }

    public Principal(String name, Role role, Set<String> strategies) {
      this(name, role, strategies, false);
    }

    /** Whether answers may carry this strategy's data: an admin or a key bound to no strategy sees every one. */
    public boolean sees(String strategy) {
      return role == Role.ADMIN || strategies.isEmpty() || (strategy != null && strategies.contains(strategy));
    }
  }

  /**
   * A key held as its SHA-256 digest. Lookups compare digests with {@link MessageDigest#isEqual}
   * against every key, so how long a lookup takes says nothing about how much of a key matched.
   */
  private record KeyDigest(byte[] digest, Principal principal) {}

  /**
   * A Binance-style key pair carried by an executor key (its {@code binance} block), for the
   * Binance front door: requests under {@code apiKey} act as {@code principal}, signed with
   * {@code secret}; orders placed under it carry {@code strategy} (null: none).
   */
  public record BinanceKey(Principal principal, String secret, String strategy) {
    @Override
    public String toString() {
      return "BinanceKey[" + principal.name() + "]";
    }
  }

  private record BinanceDigest(byte[] digest, BinanceKey key) {}

  private record Keys(Map<String, Principal> byKey, Map<String, BinanceKey> binance) {}

  private final String tradeMode;
  // swapped whole on reload, so a request sees either the old keys or the new ones
  private volatile List<KeyDigest> byKey;
  private volatile List<BinanceDigest> binanceKeys = List.of();
  // keys minted in this process for its own traffic: never configured, never reloaded away
  private final List<KeyDigest> internalKeys = new CopyOnWriteArrayList<>();

  public Auth(Map<String, Principal> byKey, String tradeMode) {
    this.byKey = digests(byKey);
    this.tradeMode = tradeMode;
  }

  private static List<KeyDigest> digests(Map<String, Principal> keys) {
    return keys.entrySet().stream().map(e -> new KeyDigest(sha256(e.getKey()), e.getValue())).toList();
  }

  // MessageDigest.getInstance looks the provider up each time: one digest per thread instead (every request hashes its key)
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  });

  private static byte[] sha256(String key) {
    return SHA256.get().digest(key.getBytes(StandardCharsets.UTF_8));
  }

  /** Reads spark.auth; refuses the development keys in live trading. */
  public static Auth fromConfig(Config auth, String tradeMode) {
    Keys keys = keys(auth, tradeMode);
    Auth a = new Auth(keys.byKey(), tradeMode);
    a.binanceKeys = binanceDigests(keys.binance());
    return a;
  }

  private static List<BinanceDigest> binanceDigests(Map<String, BinanceKey> keys) {
    return keys.entrySet().stream().map(e -> new BinanceDigest(sha256(e.getKey()), e.getValue())).toList();
  }

  /** The executor key a Binance api key belongs to, with its secret; every pair is compared, no early exit. */
  public Optional<BinanceKey> binanceKey(String apiKey) {
    byte[] digest = sha256(apiKey);
    BinanceKey found = null;
    for (BinanceDigest k : binanceKeys) {
      if (MessageDigest.isEqual(k.digest(), digest) && found == null) found = k.key();
    }
    return Optional.ofNullable(found);
  }

  /** Replaces the keys with those in {@code auth} (validated first: a bad file changes nothing). Returns how many keys are active. */
  public int reload(Config auth) {
    Keys keys = keys(auth, tradeMode);
    byKey = digests(keys.byKey());
    binanceKeys = binanceDigests(keys.binance());
    log.info("event=auth_keys_reloaded keys={} binanceKeys={}", keys.byKey().size(), keys.binance().size());
    return keys.byKey().size();
  }

  private static Keys keys(Config auth, String tradeMode) {
    Map<String, Principal> keys = new HashMap<>();
    Map<String, BinanceKey> binance = new HashMap<>();
    List<String> devKeys = auth.getStringList("dev-keys");
    boolean devInUse = false;
    for (Config k : auth.getConfigList("keys")) {
      String key = k.getString("key");
      Role role = Role.valueOf(k.getString("role").toUpperCase());
      if (devKeys.contains(key)) devInUse = true;
      Set<String> strategies = k.hasPath("strategies") ? Set.copyOf(k.getStringList("strategies")) : Set.of();
      Principal principal = new Principal(k.getString("name"), role, strategies);
      keys.put(key, principal);
      if (k.hasPath("binance")) {
        Config b = k.getConfig("binance");
        if (devKeys.contains(b.getString("api-key"))) devInUse = true;
        if (binance.containsKey(b.getString("api-key"))) throw new IllegalArgumentException("key " + principal.name() + ": its binance api-key is another key's");
        binance.put(b.getString("api-key"), new BinanceKey(principal, b.getString("secret"), binanceStrategy(principal, b)));
      }
    }
    if (devInUse && "live".equals(tradeMode)) {
      throw new IllegalStateException("development API keys are configured; set TRADER_KEY and ADMIN_KEY before TRADE_MODE=live");
    }
    if (devInUse) log.warn("event=auth_dev_keys_in_use message=\"development API keys are active; set TRADER_KEY and ADMIN_KEY\"");
    return new Keys(keys, binance);
  }

  /** The strategy orders placed under a Binance key carry: the one named, else the key's only strategy; a key bound to several must name one. */
  private static String binanceStrategy(Principal p, Config binance) {
    String named = binance.hasPath("strategy") ? binance.getString("strategy") : null;
    if (named != null && !p.strategies().isEmpty() && !p.strategies().contains(named)) {
      throw new IllegalArgumentException("key " + p.name() + ": binance.strategy " + named + " is not one of its strategies " + p.strategies());
    }
    if (named != null) return named;
    if (p.strategies().size() > 1) throw new IllegalArgumentException("key " + p.name() + " is bound to several strategies: its binance block must name one");
    return p.strategies().isEmpty() ? null : p.strategies().iterator().next();
  }

  /**
   * A fresh random key for the executor's own loopback traffic (the canary), held in memory only:
   * nothing to configure or leak, gone with the process, kept across key reloads.
   */
  public String internalKey(String name, Role role, Set<String> strategies) {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    String key = "internal-" + HexFormat.of().formatHex(bytes);
    internalKeys.add(new KeyDigest(sha256(key), new Principal(name, role, strategies, true)));
    return key;
  }

  /** Who holds this key, for callers that cannot use {@link #require} (the WebSocket feed also takes tokens). */
  public Optional<Principal> authenticate(String key) {
    return Optional.ofNullable(principal(key));
  }

  private Principal principal(String key) {
    byte[] digest = sha256(key);
    Principal found = match(byKey, digest, null);
    return match(internalKeys, digest, found);
  }

  /** Every entry is compared, no early exit. */
  private static Principal match(List<KeyDigest> keys, byte[] digest, Principal found) {
    for (KeyDigest k : keys) {
      if (MessageDigest.isEqual(k.digest(), digest) && found == null) found = k.principal();
    }
    return found;
  }

  public Route require(Role role, Function<Principal, Route> inner) {
    return extractRequest(request -> {
      String first = null;
      int sent = 0;
      for (HttpHeader h : request.getHeaders()) {
        if (h.is(HEADER_LOWER) && sent++ == 0) first = h.value();
      }
      // two keys could mean two callers: refuse rather than pick one (never "first wins")
      if (sent > 1) {
        return complete(ApiErrors.response(400, "DUPLICATE_HEADER", "send X-API-Key once; this request has " + sent, HEADER, null));
      }
      Optional<String> key = Optional.ofNullable(first);
      Principal p = key.map(this::principal).orElse(null);
      if (p == null) {
        return complete(ApiErrors.response(401, "UNAUTHORIZED", key.isPresent() ? "unknown API key" : "X-API-Key header required", null, null)
            .addHeader(org.apache.pekko.http.javadsl.model.headers.RawHeader.create("WWW-Authenticate", "ApiKey header=\"X-API-Key\"")));
      }
      if (!p.role().mayActAs(role)) {
        return complete(ApiErrors.response(403, "FORBIDDEN", "role " + p.role().name().toLowerCase() + " may not do this; it needs "
            + role.name().toLowerCase(), null, null));
      }
      return inner.apply(p);
    });
  }
}
