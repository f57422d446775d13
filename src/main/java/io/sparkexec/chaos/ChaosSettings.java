package io.sparkexec.chaos;

import com.typesafe.config.Config;
import io.sparkexec.CborSerializable;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What the chaos switchboard injects. Percentages are whole percent (0..100), latencies
 * milliseconds, the flap period seconds; 0 everywhere is off. {@code scope} narrows the
 * injection to route prefixes (private API) and symbols (venue link); empty lists mean all.
 */
public record ChaosSettings(int httpErrorPct, int httpLatencyMs, int venueErrorPct, int venueLatencyMs, int venueTimeoutPct,
    int wsFlapSec, Scope scope) implements CborSerializable {

  public static final ChaosSettings OFF = new ChaosSettings(0, 0, 0, 0, 0, 0, Scope.EVERYWHERE);

  public static final int MAX_PCT = 100;
  public static final int MAX_LATENCY_MS = 60_000;
  public static final int MAX_FLAP_SEC = 86_400;

  public record Scope(List<String> routes, List<String> symbols) implements CborSerializable {
    public static final Scope EVERYWHERE = new Scope(List.of(), List.of());

    public Scope {
      routes = List.copyOf(routes);
      symbols = List.copyOf(symbols);
    }

    public boolean coversRoute(String path) {
      return routes.isEmpty() || routes.stream().anyMatch(path::startsWith);
    }

    public boolean coversSymbol(String symbol) {
      return symbols.isEmpty() || symbols.contains(symbol);
    }
  }

  public ChaosSettings {
    scope = scope == null ? Scope.EVERYWHERE : scope;
  }

  /** The start-up defaults (CHAOS_HTTP_ERROR_PCT, CHAOS_HTTP_LATENCY_MS, CHAOS_WS_FLAP_SEC), range-checked like the API. */
  public static ChaosSettings fromConfig(Config chaos) {
    return new ChaosSettings(
        inRange(chaos, "http-error-pct", MAX_PCT), inRange(chaos, "http-latency-ms", MAX_LATENCY_MS), 0, 0, 0,
        inRange(chaos, "ws-flap-sec", MAX_FLAP_SEC), Scope.EVERYWHERE);
  }

  private static int inRange(Config chaos, String key, int max) {
    int v = chaos.getInt(key);
    if (v < 0 || v > max) throw new IllegalStateException("spark.chaos." + key + "=" + v + " must be between 0 and " + max);
    return v;
  }

  public boolean active() {
    return httpActive() || venueActive() || wsFlapSec > 0;
  }

  public boolean httpActive() {
    return httpErrorPct > 0 || httpLatencyMs > 0;
  }

  public boolean venueActive() {
    return venueErrorPct > 0 || venueLatencyMs > 0 || venueTimeoutPct > 0;
  }

  /** How often the feed should drop its connections; zero: never. */
  public Duration wsFlapPeriod() {
    return Duration.ofSeconds(wsFlapSec);
  }

  /** True with probability {@code pct} percent (0: never, 100: always). */
  static boolean hit(int pct) {
    return pct > 0 && ThreadLocalRandom.current().nextInt(MAX_PCT) < pct;
  }

  /** One log-friendly line: only what is on. */
  public String describe() {
    if (!active()) return "off";
    StringBuilder b = new StringBuilder();
    if (httpErrorPct > 0) b.append("httpErrorPct=").append(httpErrorPct).append(' ');
    if (httpLatencyMs > 0) b.append("httpLatencyMs=").append(httpLatencyMs).append(' ');
    if (venueErrorPct > 0) b.append("venueErrorPct=").append(venueErrorPct).append(' ');
    if (venueLatencyMs > 0) b.append("venueLatencyMs=").append(venueLatencyMs).append(' ');
    if (venueTimeoutPct > 0) b.append("venueTimeoutPct=").append(venueTimeoutPct).append(' ');
    if (wsFlapSec > 0) b.append("wsFlapSec=").append(wsFlapSec).append(' ');
    if (!scope.routes().isEmpty()) b.append("routes=").append(String.join(",", scope.routes())).append(' ');
    if (!scope.symbols().isEmpty()) b.append("symbols=").append(String.join(",", scope.symbols())).append(' ');
    return b.toString().trim();
  }
}
