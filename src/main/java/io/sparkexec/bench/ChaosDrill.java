package io.sparkexec.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code chaos-drill}: steady order load against a running executor; venue chaos on (by default
 * 20% errors and 200 ms latency), then off. Reports orders placed, failed with a clear error, lost
 * (an order the executor took that never reached a final state: must be 0), the time back to SLO
 * and the alerts that fired. A client of the public API only: the executor under test is untouched.
 */
public final class ChaosDrill {

  static final String USAGE = """
      usage: java -jar target/spark-executor.jar chaos-drill [options]

      Steady MARKET orders (respType ACKNOWLEDGED, alternating sides) at --rate for --baseline,
      then POST /api/private/chaos {venueErrorPct, venueLatencyMs} for --chaos, then
      POST /api/private/chaos/off, and load until place->ack is back within the SLO (--slo-latency
      for every one of the next --rate orders, at least 10) or --recovery-max. Then every order is
      followed to its final state (at most --settle).

      options:
        --url URL               executor base URL          (default http://127.0.0.1:8080)
        --key KEY               trader X-API-Key            (default trader-dev-key)
        --admin-key KEY         admin X-API-Key (chaos)     (default admin-dev-key)
        --rate N                orders per second           (default 20)
        --baseline D            load before chaos           (default 10s)
        --chaos D               load under chaos            (default 30s)
        --recovery-max D        longest wait back to SLO    (default 60s)
        --settle D              longest wait for final states (default 60s)
        --venue-error-pct N     (default 20)
        --venue-latency-ms N    (default 200)
        --slo-latency D         place->ack objective        (default 1s)
        --symbol SYMBOL         (default BTCUSDT)
        --quantity Q            (default 0.001)

      Prints progress to stderr every second, a report, and one line starting with
      "drill-summary" (key=value). Exit status: 0 no order lost and back within SLO; 1 otherwise;
      2 bad arguments.
      """;

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  public record Options(URI url, String key, String adminKey, int rate, Duration baseline, Duration chaos, Duration recoveryMax,
      Duration settle, int venueErrorPct, int venueLatencyMs, Duration sloLatency, String symbol, String quantity) {

    public static Options defaults(URI url) {
      return new Options(url, "trader-dev-key", "admin-dev-key", 20, Duration.ofSeconds(10), Duration.ofSeconds(30),
          Duration.ofSeconds(60), Duration.ofSeconds(60), 20, 200, Duration.ofSeconds(1), "BTCUSDT", "0.001");
    }
  }

  /**
   * {@code failed}: refusals by error code (the order never existed); {@code rejected}: orders the
   * executor took and finished as REJECTED, by reason; {@code backToSloMs}: from chaos off to the
   * first order of a clean run (null: not back within --recovery-max); {@code executorRecoveryMs}:
   * what the executor's own recovery watch measured (GET /api/private/chaos); {@code alerts}: SLO
   * alerts that fired (null: the executor has no SLO endpoint).
   */
  public record Report(long sent, long placed, Map<String, Long> failed, Map<String, Long> rejected, long lost, List<String> lostIds,
      Long backToSloMs, Long executorRecoveryMs, double p95BaselineMs, double p95ChaosMs, List<String> alerts) {

    public long failedTotal() {
      return failed.values().stream().mapToLong(Long::longValue).sum() + rejected.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  /** One order the drill sent; written by the HTTP client's callback, read after it completed. */
  private static final class Sent {
    final String id;
    final int phase;
    final long sentNanos;
    volatile CompletableFuture<HttpResponse<String>> answer;
    volatile long latencyNanos = -1;

    Sent(String id, int phase, long sentNanos) {
      this.id = id;
      this.phase = phase;
      this.sentNanos = sentNanos;
    }
  }

  private static final int BASELINE = 0;
  private static final int CHAOS = 1;
  private static final int RECOVERY = 2;

  private final Options o;
  private final PrintStream progress;
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(REQUEST_TIMEOUT).build();
  private final String runId = UUID.randomUUID().toString().substring(0, 8);
  private final List<Sent> sent = new ArrayList<>();
  private int phase = BASELINE;

  private ChaosDrill(Options o, PrintStream progress) {
    this.o = o;
    this.progress = progress;
  }

  public static Report run(Options o, PrintStream progress) throws IOException, InterruptedException {
    return new ChaosDrill(o, progress).run();
  }

  private Report run() throws IOException, InterruptedException {
    if (get("/api/public/ready", null).statusCode() != 200) throw new IllegalStateException("the executor at " + o.url() + " is not ready");
    boolean sloRoom = get("/api/private/slo", o.adminKey()).statusCode() == 200;
    Long backToSloMs;
    try {
      backToSloMs = load();
    } finally {
      // a drill that dies under chaos must not leave it on
      if (phase == CHAOS) admin("/api/private/chaos/off", "{\"reason\":\"chaos drill " + runId + " aborted\"}");
    }
    CompletableFuture.allOf(sent.stream().map(s -> s.answer).toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
    return settle(backToSloMs, sloRoom);
  }

  /** The three phases of load; returns the time back to SLO after chaos off, or null. */
  private Long load() throws IOException, InterruptedException {
    long start = System.nanoTime();
    long chaosAt = start + o.baseline().toNanos();
    long offAt = chaosAt + o.chaos().toNanos();
    long recoveryDeadline = offAt + o.recoveryMax().toNanos();
    int runLength = Math.max(10, o.rate());
    long nextProgress = start + 1_000_000_000L;
    for (long i = 0; ; i++) {
      long due = start + (long) (i * 1e9 / o.rate());
      for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) LockSupport.parkNanos(wait);
      if (phase == BASELINE && due >= chaosAt) {
        admin("/api/private/chaos", "{\"venueErrorPct\":" + o.venueErrorPct() + ",\"venueLatencyMs\":" + o.venueLatencyMs()
            + ",\"reason\":\"chaos drill " + runId + "\"}");
        phase = CHAOS;
      } else if (phase == CHAOS && due >= offAt) {
        admin("/api/private/chaos/off", "{\"reason\":\"chaos drill " + runId + " over\"}");
        phase = RECOVERY;
      }
      if (phase == RECOVERY) {
        Long back = backToSlo(offAt, runLength);
        if (back != null || due >= recoveryDeadline) return back;
      }
      send(i, phase);
      if (System.nanoTime() >= nextProgress) {
        nextProgress += 1_000_000_000L;
        progress.printf(Locale.ROOT, "drill: %s %ds sent=%d%n", List.of("baseline", "chaos", "recovery").get(phase),
            (System.nanoTime() - start) / 1_000_000_000L, sent.size());
      }
    }
  }

  private void send(long i, int phase) {
    String id = "drill-" + runId + "-" + i;
    String body = "{\"clientOrderId\":\"" + id + "\",\"symbol\":\"" + o.symbol() + "\",\"side\":\"" + (i % 2 == 0 ? "BUY" : "SELL")
        + "\",\"type\":\"MARKET\",\"quantity\":\"" + o.quantity() + "\",\"strategy\":\"chaos-drill\",\"respType\":\"ACKNOWLEDGED\"}";
    Sent s = new Sent(id, phase, System.nanoTime());
    s.answer = client.sendAsync(request("/api/private/order", o.key()).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString())
        .whenComplete((r, e) -> s.latencyNanos = System.nanoTime() - s.sentNanos);
    sent.add(s);
  }

  /** Ms from chaos off to the first order sent after it that starts a run of {@code n} answered 2xx within the SLO; null: none yet. */
  private Long backToSlo(long offAt, int n) {
    int run = 0;
    Sent first = null;
    for (Sent s : sent) {
      if (s.phase != RECOVERY) continue;
      if (!s.answer.isDone()) return null;
      HttpResponse<String> r = s.answer.getNow(null);
      boolean good = r != null && r.statusCode() / 100 == 2 && s.latencyNanos >= 0 && s.latencyNanos <= o.sloLatency().toNanos();
      if (!good) {
        run = 0;
        first = null;
      } else if (run++ == 0) {
        first = s;
      }
      if (run >= n) return Math.max(0, (first.sentNanos - offAt) / 1_000_000);
    }
    return null;
  }

  private Report settle(Long backToSloMs, boolean sloRoom) throws IOException, InterruptedException {
    Map<String, Long> failed = new TreeMap<>();
    List<Sent> toFollow = new ArrayList<>();
    for (Sent s : sent) {
      HttpResponse<String> r = s.answer.isCompletedExceptionally() ? null : s.answer.join();
      if (r != null && r.statusCode() / 100 == 2) {
        toFollow.add(s);
      } else if (get("/api/private/order/" + s.id, o.key()).statusCode() == 200) {
        toFollow.add(s); // refused or unanswered, yet taken: it must finish like any other
      } else {
        failed.merge(r == null ? "NO_ANSWER" : r.statusCode() + " " + errorCode(r.body()), 1L, Long::sum);
      }
    }
    Map<String, Long> rejected = new TreeMap<>();
    List<String> lost = new ArrayList<>();
    long deadline = System.nanoTime() + o.settle().toNanos();
    List<Sent> pending = toFollow;
    while (!pending.isEmpty()) {
      List<Sent> still = new ArrayList<>();
      for (Sent s : pending) {
        HttpResponse<String> r = get("/api/private/order/" + s.id, o.key());
        JsonNode order = r.statusCode() == 200 ? MAPPER.readTree(r.body()) : null;
        String status = order == null ? "" : order.path("status").asText();
        if (status.equals("REJECTED")) rejected.merge(order.path("reason").asText("no reason"), 1L, Long::sum);
        if (!List.of("FILLED", "CANCELED", "REJECTED", "EXPIRED").contains(status)) still.add(s);
      }
      pending = still;
      if (pending.isEmpty() || System.nanoTime() >= deadline) break;
      progress.printf("drill: settling, %d orders not final yet%n", pending.size());
      LockSupport.parkNanos(500_000_000L);
    }
    for (Sent s : pending) lost.add(s.id);
    JsonNode chaos = MAPPER.readTree(get("/api/private/chaos", o.adminKey()).body());
    Long executorRecoveryMs = chaos.path("recovery").path("tookMs").isNumber() ? chaos.path("recovery").path("tookMs").asLong() : null;
    return new Report(sent.size(), toFollow.size(), failed, rejected, lost.size(), lost, backToSloMs, executorRecoveryMs,
        p95Ms(BASELINE), p95Ms(CHAOS), sloRoom ? alerts() : null);
  }

  private double p95Ms(int phase) {
    long[] ms = sent.stream().filter(s -> s.phase == phase && s.latencyNanos >= 0).mapToLong(s -> s.latencyNanos / 1_000_000).sorted().toArray();
    return ms.length == 0 ? Double.NaN : ms[(int) Math.min(ms.length - 1, Math.ceil(ms.length * 0.95) - 1)];
  }

  /** The SLO room's recent alert changes that fired, as "slo/severity". */
  private List<String> alerts() throws IOException, InterruptedException {
    JsonNode slo = MAPPER.readTree(get("/api/private/slo", o.adminKey()).body());
    List<String> fired = new ArrayList<>();
    for (JsonNode a : slo.path("recentAlerts")) {
      if (a.path("firing").asBoolean()) fired.add(a.path("slo").asText() + "/" + a.path("severity").asText());
    }
    return fired;
  }

  private static String errorCode(String body) {
    try {
      return MAPPER.readTree(body).path("error").path("code").asText("NO_ERROR_CODE");
    } catch (IOException e) {
      return "NOT_JSON";
    }
  }

  private void admin(String path, String body) throws IOException, InterruptedException {
    HttpResponse<String> r = client.send(request(path, o.adminKey()).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) throw new IllegalStateException("POST " + path + " answered " + r.statusCode() + ": " + r.body());
    progress.println("drill: POST " + path + " " + body);
  }

  private HttpResponse<String> get(String path, String key) throws IOException, InterruptedException {
    return client.send(request(path, key).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest.Builder request(String path, String key) {
    HttpRequest.Builder b = HttpRequest.newBuilder(o.url().resolve(path)).timeout(REQUEST_TIMEOUT);
    return key == null ? b : b.header("X-API-Key", key);
  }

  public static String report(Options o, Report r) {
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "%nchaos drill against %s: %d orders/s, baseline %ss, chaos %ss (venueErrorPct=%d venueLatencyMs=%d)%n",
        o.url(), o.rate(), o.baseline().toSeconds(), o.chaos().toSeconds(), o.venueErrorPct(), o.venueLatencyMs()));
    s.append(String.format(Locale.ROOT, "  sent                %d%n  placed              %d%n", r.sent(), r.placed()));
    s.append(String.format(Locale.ROOT, "  failed, clear error %d%n", r.failedTotal()));
    r.failed().forEach((code, n) -> s.append(String.format(Locale.ROOT, "    refused %-28s %d%n", code, n)));
    r.rejected().forEach((reason, n) -> s.append(String.format(Locale.ROOT, "    rejected: %s  %d%n", reason, n)));
    s.append(String.format(Locale.ROOT, "  lost                %d%s%n", r.lost(), r.lost() == 0 ? "" : " " + r.lostIds()));
    s.append(String.format(Locale.ROOT, "  place->ack p95      baseline %.0f ms, under chaos %.0f ms%n", r.p95BaselineMs(), r.p95ChaosMs()));
    s.append("  back to SLO         " + (r.backToSloMs() == null ? "NOT within the recovery window" : r.backToSloMs() + " ms after chaos off")
        + " (client-side: place->ack within " + o.sloLatency().toMillis() + " ms)\n");
    s.append("  executor recovery   " + (r.executorRecoveryMs() == null ? "not reported" : r.executorRecoveryMs() + " ms (spark_chaos_recovery_total)")
        + "\n");
    s.append("  alerts fired        " + (r.alerts() == null ? "n/a (no SLO endpoint on this executor)" : r.alerts().isEmpty() ? "none" : r.alerts())
        + "\n");
    return s.toString();
  }

  public static String summary(Report r) {
    return "drill-summary sent=" + r.sent() + " placed=" + r.placed() + " failed=" + r.failedTotal() + " lost=" + r.lost()
        + " backToSloMs=" + (r.backToSloMs() == null ? "none" : r.backToSloMs())
        + " executorRecoveryMs=" + (r.executorRecoveryMs() == null ? "none" : r.executorRecoveryMs())
        + " alerts=" + (r.alerts() == null ? "n/a" : String.join(",", r.alerts()));
  }

  public static void main(String[] args) throws IOException, InterruptedException {
    Options options;
    try {
      options = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("chaos-drill: " + e.getMessage() + "\n(chaos-drill --help for usage)");
      System.exit(2);
      return;
    }
    if (options == null) {
      System.out.print(USAGE);
      return;
    }
    Report r;
    try {
      r = run(options, System.err);
    } catch (IllegalStateException | IOException e) {
      // an executor that is not ready, refuses chaos (live mode) or cannot be reached: say why, no stack trace
      System.err.println("chaos-drill: " + e.getMessage());
      System.exit(1);
      return;
    }
    System.out.print(report(options, r));
    System.out.println(summary(r));
    System.exit(r.lost() == 0 && r.backToSloMs() != null ? 0 : 1);
  }

  /** The options, or null when help was asked for. Throws IllegalArgumentException with the reason. */
  static Options parse(String[] args) {
    Options d = Options.defaults(URI.create("http://127.0.0.1:8080"));
    Map<String, String> v = new TreeMap<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("-h") || args[i].equals("--help")) return null;
      if (!args[i].startsWith("--") || i + 1 >= args.length) throw new IllegalArgumentException("expected --option value at " + args[i]);
      v.put(args[i], args[++i]);
    }
    List<String> known = List.of("--url", "--key", "--admin-key", "--rate", "--baseline", "--chaos", "--recovery-max", "--settle",
        "--venue-error-pct", "--venue-latency-ms", "--slo-latency", "--symbol", "--quantity");
    for (String k : v.keySet()) if (!known.contains(k)) throw new IllegalArgumentException("unknown option " + k);
    URI url = URI.create(v.getOrDefault("--url", d.url().toString()));
    if (!List.of("127.0.0.1", "localhost", "[::1]").contains(url.getHost())) throw new IllegalArgumentException("--url must be loopback");
    return new Options(url, v.getOrDefault("--key", d.key()), v.getOrDefault("--admin-key", d.adminKey()),
        whole(v, "--rate", d.rate(), 1, 5000), duration(v, "--baseline", d.baseline()), duration(v, "--chaos", d.chaos()),
        duration(v, "--recovery-max", d.recoveryMax()), duration(v, "--settle", d.settle()),
        whole(v, "--venue-error-pct", d.venueErrorPct(), 0, 100), whole(v, "--venue-latency-ms", d.venueLatencyMs(), 0, 60_000),
        duration(v, "--slo-latency", d.sloLatency()), v.getOrDefault("--symbol", d.symbol()), v.getOrDefault("--quantity", d.quantity()));
  }

  private static Duration duration(Map<String, String> v, String name, Duration otherwise) {
    return v.containsKey(name) ? Bench.duration(name, v.get(name)) : otherwise;
  }

  private static int whole(Map<String, String> v, String name, int otherwise, int min, int max) {
    if (!v.containsKey(name)) return otherwise;
    try {
      int n = Integer.parseInt(v.get(name));
      if (n >= min && n <= max) return n;
    } catch (NumberFormatException e) {
      // falls through to the message below
    }
    throw new IllegalArgumentException(name + " must be a whole number from " + min + " to " + max);
  }
}
