package io.sparkexec.bench;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bench}: open-loop, constant-rate HTTP load against a running executor. Parses the
 * command line and prints the report; {@link OpenLoop} does the sending and the recording.
 */
public final class Bench {

  static final String USAGE = """
      usage: java -jar target/spark-executor.jar bench [options]

      Open-loop load at a constant rate: request i is due at start + i/rate whether or not
      earlier ones were answered, and its latency is measured from that intended time, so a
      stalled server shows up as latency (no coordinated omission). A warm-up phase at the
      same rate runs first and is not recorded; the measured phase starts once the warm-up's
      requests are answered (at most --timeout later).

      options:
        --target order|health   order = POST /api/private/order (MARKET, unique clientOrderId,
                                respType ACKNOWLEDGED: latency is place->ack);
                                health = GET /api/public/health            (default order)
        --url URL               executor base URL, loopback only  (default http://127.0.0.1:8080)
        --rate N                requests per second                         (default 500)
        --duration D            measured phase, e.g. 30s, 2m, 500ms, 30     (default 30s)
        --warmup D              unrecorded phase before it                  (default 5s)
        --connections N         at most N connections / requests in flight  (default 32)
        --timeout D             a request with no answer by then is an error (default 10s)
        --key KEY               X-API-Key for orders                        (default trader-dev-key)
        --symbol SYMBOL         order symbol                                (default BTCUSDT)
        --quantity Q            order quantity                              (default 0.001)
        --first N               also report the first N measured requests apart from the rest
                                (with --warmup 0 on a fresh server: its first N orders) (default 0)
        --prime N               before anything, N requests like the run's, one at a time, to a
                                throwaway HTTP server inside the bench: warms this client's own
                                JVM (as cold as a fresh server) without touching the executor (default 0)
        -h, --help              this text

      Prints a progress line to stderr every second (runs of 5 s or more), then a report and
      one machine-readable line starting with "bench-summary" (key=value) to stdout.
      Exit status: 0 every request answered; 1 some requests failed (no answer in time,
      connection errors); 2 bad arguments.
      """;

  /** Everything the command line sets. */
  record Options(String target, URI url, int rate, Duration duration, Duration warmup, int connections, Duration timeout,
      String key, String symbol, String quantity, int first, int prime) {

    boolean orders() {
      return target.equals("order");
    }

    URI endpoint() {
      return url.resolve(orders() ? "/api/private/order" : "/api/public/health");
    }
  }

  // checked before a value is looked for, so a misspelt flag is named as unknown
  private static final java.util.Set<String> OPTIONS = java.util.Set.of("--target", "--url", "--rate", "--duration", "--warmup",
      "--connections", "--timeout", "--key", "--symbol", "--quantity", "--first", "--prime");

  private Bench() {}

  public static void main(String[] args) throws InterruptedException {
    Options options;
    try {
      options = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("bench: " + e.getMessage() + "\n(bench --help for usage)");
      System.exit(2);
      return;
    }
    if (options == null) {
      System.out.print(USAGE);
      return;
    }
    OpenLoop.Result result = new OpenLoop(options).run();
    System.out.print(report(options, result));
    System.out.println(summary(options, result));
    System.exit(result.errors() == 0 ? 0 : 1);
  }

  /** The options, or null when help was asked for. Throws IllegalArgumentException with the reason. */
  static Options parse(String[] args) {
    String target = "order";
    String url = "http://127.0.0.1:8080";
    int rate = 500;
    Duration duration = Duration.ofSeconds(30);
    Duration warmup = Duration.ofSeconds(5);
    int connections = 32;
    Duration timeout = Duration.ofSeconds(10);
    String key = "trader-dev-key";
    String symbol = "BTCUSDT";
    String quantity = "0.001";
    int first = 0;
    int prime = 0;
    for (int i = 0; i < args.length; i++) {
      String name = args[i];
      if (name.equals("-h") || name.equals("--help")) return null;
      String value;
      int eq = name.indexOf('=');
      if (name.startsWith("--") && eq > 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else {
        if (!OPTIONS.contains(name)) throw new IllegalArgumentException("unknown option " + name);
        if (i + 1 >= args.length) throw new IllegalArgumentException(name + " needs a value");
        value = args[++i];
      }
      switch (name) {
        case "--target" -> target = value;
        case "--url" -> url = value;
        case "--rate" -> rate = positiveInt(name, value, 1_000_000);
        case "--duration" -> duration = duration(name, value);
        case "--warmup" -> warmup = duration(name, value);
        case "--connections" -> connections = positiveInt(name, value, 10_000);
        case "--timeout" -> timeout = duration(name, value);
        case "--key" -> key = value;
        case "--symbol" -> symbol = value;
        case "--quantity" -> quantity = value;
        case "--first" -> first = positiveInt(name, value, 1_000_000);
        case "--prime" -> prime = positiveInt(name, value, 1_000_000);
        default -> throw new IllegalArgumentException("unknown option " + name);
      }
    }
    if (!target.equals("order") && !target.equals("health")) {
      throw new IllegalArgumentException("--target must be order or health, not " + target);
    }
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--url is not a URL: " + url);
    }
    if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
      throw new IllegalArgumentException("--url must be http://host[:port], not " + url);
    }
    if (!uri.getHost().equals("127.0.0.1") && !uri.getHost().equals("localhost") && !uri.getHost().equals("[::1]")) {
      throw new IllegalArgumentException("--url must point at this machine (127.0.0.1, localhost, [::1]), not " + uri.getHost());
    }
    if (!symbol.matches("[A-Z0-9]{2,20}")) throw new IllegalArgumentException("--symbol must be 2-20 characters of A-Z 0-9, not " + symbol);
    if (!quantity.matches("[0-9]{1,18}(\\.[0-9]{1,18})?")) throw new IllegalArgumentException("--quantity must be a decimal such as 0.001, not " + quantity);
    if (key.isBlank() || !key.chars().allMatch(c -> c > 32 && c < 127)) throw new IllegalArgumentException("--key must be printable ASCII without spaces");
    if (duration.isZero()) throw new IllegalArgumentException("--duration must be greater than 0");
    if (timeout.isZero()) throw new IllegalArgumentException("--timeout must be greater than 0");
    long total = (long) (rate * (duration.plus(warmup).toNanos() / 1e9));
    if (total > 100_000_000L) throw new IllegalArgumentException("rate x (warmup + duration) is " + total + " requests; at most 100,000,000");
    return new Options(target, uri, rate, duration, warmup, connections, timeout, key, symbol, quantity, first, prime);
  }

  private static int positiveInt(String name, String value, int max) {
    try {
      int n = Integer.parseInt(value.replace("_", ""));
      if (n >= 1 && n <= max) return n;
    } catch (NumberFormatException e) {
      // falls through to the message below
    }
    throw new IllegalArgumentException(name + " must be a whole number from 1 to " + max + ", not " + value);
  }

  /** "30s", "2m", "500ms" or a plain number of seconds; 0 is allowed (no warm-up). */
  static Duration duration(String name, String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    try {
      Duration d;
      if (v.endsWith("ms")) d = Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      else if (v.endsWith("s")) d = Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 1000));
      else if (v.endsWith("m")) d = Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 60_000));
      else d = Duration.ofMillis(Math.round(Double.parseDouble(v) * 1000));
      if (!d.isNegative() && d.compareTo(Duration.ofHours(24)) <= 0) return d;
    } catch (NumberFormatException e) {
      // falls through to the message below
    }
    throw new IllegalArgumentException(name + " must be a duration such as 30s, 2m or 500ms (at most 24 h), not " + value);
  }

  static String report(Options o, OpenLoop.Result r) {
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "%n%s %s at %d/s for %ss (warm-up %ss), %d connections, timeout %ss%n",
        o.orders() ? "POST" : "GET", o.endpoint(), o.rate(), seconds(o.duration()), seconds(o.warmup()), o.connections(),
        seconds(o.timeout())));
    s.append(String.format(Locale.ROOT, "  requests  %d scheduled, %d answered, %d errors; achieved %.1f/s%n",
        r.scheduled(), r.answered(), r.errors(), r.achievedPerSecond()));
    s.append("  status   ").append(r.statusCounts().isEmpty() ? " none" : "");
    r.statusCounts().forEach((code, n) -> s.append(' ').append(code).append('=').append(n));
    s.append('\n');
    if (!r.errorCounts().isEmpty()) {
      s.append("  errors   ");
      r.errorCounts().forEach((kind, n) -> s.append(' ').append(kind).append('=').append(n));
      s.append('\n');
    }
    s.append(String.format(Locale.ROOT, "  latency from intended send time, ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  mean %.3f%n",
        r.p(50), r.p(90), r.p(99), r.p(99.9), r.maxMs(), r.meanMs()));
    if (o.first() > 0) {
      s.append(String.format(Locale.ROOT, "  first %d, ms: p50 %.3f  p99 %.3f  max %.3f;  the rest: p50 %.3f  p99 %.3f%n", o.first(),
          r.pFirst(50), r.pFirst(99), r.firstMicros().getTotalCount() == 0 ? 0 : r.firstMicros().getMaxValue() / 1000.0, r.pRest(50), r.pRest(99)));
    }
    s.append(String.format(Locale.ROOT, "  client: %.0f%% of one core while measuring, send lag p99 %.3f ms (how late the generator sent)%n",
        r.clientCpuPercent(), r.sendLagP99Ms()));
    return s.toString();
  }

  static String summary(Options o, OpenLoop.Result r) {
    StringBuilder s = new StringBuilder("bench-summary");
    kv(s, "target", o.target());
    kv(s, "rate", o.rate());
    kv(s, "duration_s", seconds(o.duration()));
    kv(s, "warmup_s", seconds(o.warmup()));
    kv(s, "connections", o.connections());
    kv(s, "scheduled", r.scheduled());
    kv(s, "answered", r.answered());
    kv(s, "achieved_rps", String.format(Locale.ROOT, "%.1f", r.achievedPerSecond()));
    kv(s, "ok", r.ok());
    kv(s, "non2xx", r.answered() - r.ok());
    kv(s, "errors", r.errors());
    for (Map.Entry<String, Long> e : r.errorCounts().entrySet()) kv(s, "error_" + e.getKey(), e.getValue());
    for (Map.Entry<Integer, Long> e : r.statusCounts().entrySet()) kv(s, "status_" + e.getKey(), e.getValue());
    kv(s, "p50_ms", ms(r.p(50)));
    kv(s, "p90_ms", ms(r.p(90)));
    kv(s, "p99_ms", ms(r.p(99)));
    kv(s, "p999_ms", ms(r.p(99.9)));
    kv(s, "max_ms", ms(r.maxMs()));
    kv(s, "mean_ms", ms(r.meanMs()));
    kv(s, "send_lag_p99_ms", ms(r.sendLagP99Ms()));
    if (o.first() > 0) {
      kv(s, "first_n", o.first());
      kv(s, "first_p50_ms", ms(r.pFirst(50)));
      kv(s, "first_p99_ms", ms(r.pFirst(99)));
      kv(s, "first_max_ms", ms(r.firstMicros().getTotalCount() == 0 ? 0 : r.firstMicros().getMaxValue() / 1000.0));
      kv(s, "first_mean_ms", ms(r.firstMicros().getMean() / 1000.0));
      kv(s, "rest_p99_ms", ms(r.pRest(99)));
    }
    kv(s, "client_cpu_pct", String.format(Locale.ROOT, "%.0f", r.clientCpuPercent()));
    return s.toString();
  }

  private static void kv(StringBuilder s, String key, Object value) {
    s.append(' ').append(key).append('=').append(value);
  }

  private static String ms(double v) {
    return String.format(Locale.ROOT, "%.3f", v);
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? Long.toString(d.toSeconds()) : String.format(Locale.ROOT, "%.3f", d.toMillis() / 1000.0);
  }
}
