package io.sparkexec.slo;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.http.Auth;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SLOs in the running executor: real orders feed place->ack and the API error rate, a
 * threshold no order can meet makes the page alert fire (report, gauge, feed's system channel),
 * and every metric the Prometheus rules and the Grafana dashboard query is one the executor
 * exports, so neither rots when a metric is renamed.
 */
class SloIT {

  /** Metrics of rooms not merged on this branch yet (the chaos switchboard, issue 7): drop each once it is exported. */
  private static final Set<String> PENDING = Set.of("spark_chaos_http_errors_total", "spark_chaos_ws_flaps_total", "spark_chaos_recovery_total");
  private static final Pattern METRIC = Pattern.compile("(?<![A-Za-z0-9_:])(spark_[a-z0-9_]+|slo:[a-z0-9_:]+)");
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir
  static Path dir;
  private static TestServer server;

  @BeforeAll
  static void start() {
    // every order misses a zero threshold: place->ack burns 20x its budget on every window.
    // The signal consumer is off: a test claims its queue job itself, and the consumer would race it
    server = TestServer.inProcess(dir, ConfigFactory.parseString("""
        spark.queue.consumer.enabled = false
        spark.slo.evaluate-every = 1 s
        spark.slo.objectives.place-ack-latency.threshold = 0 ms
        """));
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  private static String marketOrder(String id, String strategy) {
    return json("clientOrderId", id, "symbol", "BTCUSDT", "side", "BUY", "type", "MARKET", "quantity", "0.001", "strategy", strategy);
  }

  private static JsonNode slo(JsonNode report, String name) {
    for (JsonNode s : report.get("slos")) if (s.get("slo").asText().equals(name)) return s;
    throw new AssertionError("no SLO " + name + " in " + report);
  }

  @Test
  void theReportNeedsAKey() {
    assertEquals(401, server.publicGet("/api/private/slo").status());
  }

  @Test
  void eachOrderCountsOnceAndRepeatsOfItNot() {
    long before = slo(server.get("/api/private/slo").json(), SloService.PLACE_ACK_LATENCY).get("total").asLong();
    assertEquals(200, server.placeOrder(marketOrder("slo-it-once", "gamma")).status());
    // the same clientOrderId again is the same order, answered from its state: not a new event
    assertEquals(200, server.placeOrder(marketOrder("slo-it-once", "gamma")).status());
    assertEquals(200, server.placeOrder(marketOrder("slo-it-twice", "gamma")).status());
    // recorded before each place call answers, so no wait is needed
    JsonNode placeAck = slo(server.get("/api/private/slo").json(), SloService.PLACE_ACK_LATENCY);
    assertEquals(before + 2, placeAck.get("total").asLong());
    JsonNode gamma = null;
    for (JsonNode s : placeAck.get("strategies")) if (s.get("strategy").asText().equals("gamma")) gamma = s;
    assertEquals(2, gamma.get("total").asLong(), String.valueOf(placeAck));
  }

  @Test
  void missedOrdersPageInTheReportTheMetricsAndTheFeed() throws Exception {
    BlockingQueue<String> system = new LinkedBlockingQueue<>();
    WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder().header(Auth.HEADER, TestServer.TRADER_KEY)
        .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/ws/feed?channels=system"), new WebSocket.Listener() {
          private final StringBuilder text = new StringBuilder();

          @Override
          public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
              system.add(text.toString());
              text.setLength(0);
            }
            socket.request(1);
            return null;
          }
        }).get(30, TimeUnit.SECONDS);
    try {
      Response placed = server.placeOrder(marketOrder("slo-it-1", "alpha"));
      assertEquals(200, placed.status(), placed::toString);

      JsonNode report = await("the page alert of place-ack-latency").atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(
          () -> server.get("/api/private/slo").json(), r -> slo(r, SloService.PLACE_ACK_LATENCY).get("alerts").get("page").get("firing").asBoolean());
      JsonNode placeAck = slo(report, SloService.PLACE_ACK_LATENCY);
      assertEquals(0.95, placeAck.get("objective").asDouble());
      assertEquals(0, placeAck.get("thresholdMs").asLong());
      assertEquals(0, placeAck.get("good").asLong());
      assertTrue(placeAck.get("total").asLong() >= 1);
      assertEquals(20.0, placeAck.get("burnRates").get("5m").asDouble(), 1e-9);
      assertEquals(20.0, placeAck.get("burnRates").get("1h").asDouble(), 1e-9);
      assertTrue(placeAck.get("errorBudgetRemaining").asDouble() < 0);
      assertFalse(placeAck.get("withinSlo").asBoolean());
      assertTrue(placeAck.get("since").isTextual());
      assertEquals("alpha", placeAck.get("strategies").get(0).get("strategy").asText());
      assertFalse(report.get("withinSlo").asBoolean());
      // the order's own POST was a private API call that did not fail
      JsonNode api = slo(report, SloService.API_ERRORS);
      assertTrue(api.get("total").asLong() >= 1);
      assertEquals(1.0, api.get("compliance").asDouble());
      assertFalse(api.get("alerts").get("page").get("firing").asBoolean());

      String alert = null;
      for (String m = system.poll(60, TimeUnit.SECONDS); m != null; m = system.poll(60, TimeUnit.SECONDS)) {
        if (m.contains("\"slo_alert\"") && m.contains("\"place-ack-latency\"") && m.contains("\"page\"")) {
          alert = m;
          break;
        }
      }
      JsonNode event = TestServer.MAPPER.readTree(String.valueOf(alert));
      assertEquals("system", event.get("channel").asText());
      assertTrue(event.get("firing").asBoolean(), alert);

      await("the alert on the metrics page").atMost(WAIT).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
        String page = server.metrics();
        String slo = String.join("\n", page.lines().filter(l -> l.startsWith("spark_slo_") && l.contains("place-ack-latency")).toList());
        assertTrue(slo.contains("spark_slo_alert{slo=\"place-ack-latency\",severity=\"page\"} 1.0"), slo);
        assertTrue(Pattern.compile("^spark_slo_events_total\\{slo=\"place-ack-latency\",result=\"bad\"} [1-9]", Pattern.MULTILINE)
            .matcher(slo).find(), slo);
        assertTrue(slo.contains("spark_slo_error_budget_remaining{slo=\"place-ack-latency\"} 0.0"), slo);
        assertTrue(slo.contains("spark_slo_objective{slo=\"place-ack-latency\"} 0.95"), slo);
        // whole tag sets only: no series for a prefix of the labels
        assertFalse(slo.contains("spark_slo_alert{slo=\"place-ack-latency\"}"), slo);
      });
    } finally {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void everyMetricTheRulesAndTheDashboardQueryIsExported() throws Exception {
    // exercise what only appears once recorded: an order, a refusal, a queue job acked, a feed connection closed
    assertEquals(200, server.placeOrder(marketOrder("slo-it-names", "beta")).status());
    int refused = server.placeOrder(marketOrder("slo-it-bad", "beta").replace("BTCUSDT", "NOPE")).status();
    assertTrue(refused >= 400 && refused < 500, "an unknown symbol is refused: " + refused);
    assertEquals(200, server.post("/api/private/queue/enqueue", "{\"job\":\"slo-it-job\",\"data\":{}}").status());
    JsonNode job = server.post("/api/private/queue/claim?max=1", "").json().get("jobs").get(0);
    assertEquals(200, server.post("/api/private/queue/ack", json("job", "slo-it-job", "claim", job.get("claim").asText())).status());
    WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder().header(Auth.HEADER, TestServer.TRADER_KEY)
        .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/ws/feed?channels=system"), new WebSocket.Listener() {}).get(30, TimeUnit.SECONDS);
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(30, TimeUnit.SECONDS);

    String rules = Files.readString(Path.of("conf", "prometheus", "alerts.yml"));
    String dashboard = Files.readString(Path.of("docs", "grafana", "executor.json"));
    Set<String> recorded = new TreeSet<>();
    Matcher r = Pattern.compile("record: (\\S+)").matcher(rules);
    while (r.find()) recorded.add(r.group(1));
    Set<String> wanted = new TreeSet<>(names(rules));
    wanted.addAll(names(dashboard));
    wanted.removeAll(recorded);
    wanted.removeAll(PENDING);
    assertTrue(wanted.contains("spark_order_place_ack_duration_seconds_bucket"), wanted::toString);
    Set<String> unknownRecorded = new TreeSet<>(names(dashboard));
    unknownRecorded.removeIf(n -> !n.startsWith("slo:") || recorded.contains(n));
    assertEquals(Set.of(), unknownRecorded, "the dashboard queries recording rules alerts.yml does not define");

    await("every metric the rules and the dashboard use on the page").atMost(WAIT).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      Set<String> missing = new TreeSet<>(wanted);
      missing.removeAll(exported(server.metrics()));
      assertEquals(Set.of(), missing, "queried but not exported");
    });
  }

  private static Set<String> names(String text) {
    Set<String> out = new TreeSet<>();
    Matcher m = METRIC.matcher(text);
    while (m.find()) out.add(m.group(1));
    return out;
  }

  private static Set<String> exported(String page) {
    Set<String> out = new TreeSet<>();
    for (String line : page.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      int end = line.indexOf('{');
      if (end < 0) end = line.indexOf(' ');
      out.add(line.substring(0, end));
    }
    return out;
  }
}
