package io.sparkexec.chaos;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The chaos switchboard in the whole executor, over real HTTP on loopback with the LevelDB journal. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(LogCapturingExtension.class)
class ChaosIT {

  static final String ADMIN = "admin-dev-key";
  static final String CHAOS = "/api/private/chaos";

  private TestServer server;

  @BeforeAll
  void start(@TempDir Path dir) {
    server = TestServer.inProcess(dir);
  }

  @AfterAll
  void stop() {
    if (server != null) server.close();
  }

  @AfterEach
  void chaosOff() {
    assertEquals(200, admin(server, "POST", CHAOS + "/off", "").status());
  }

  static Response admin(TestServer s, String method, String path, String body) {
    return as(s, ADMIN, method, path, body);
  }

  static Response as(TestServer s, String key, String method, String path, String body) {
    HttpRequest.Builder b = s.request(path).setHeader("X-API-Key", key);
    if (body != null) b.header("Content-Type", "application/json");
    return s.send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build());
  }

  private static String marketBuy(String id) {
    return json("clientOrderId", id, "symbol", "BTCUSDT", "side", "BUY", "type", "MARKET", "quantity", "0.001", "strategy", "chaos-it");
  }

  private int auditSize() {
    return admin(server, "GET", CHAOS, null).json().path("audit").size();
  }

  @Test
  void anInjectedErrorAnswers503AndJournalsNothing() {
    assertEquals(200, admin(server, "POST", CHAOS, json("httpErrorPct", 100, "reason", "IT: every request fails")).status());
    long eventsBefore = server.orderEventCount();

    Response placed = server.placeOrder(marketBuy("chaos-503"));
    assertEquals(503, placed.status(), placed::toString);
    assertTrue(placed.json().path("error").path("details").path("injected").asBoolean(), placed::toString);
    assertEquals("1", placed.header("Retry-After").orElse(""));

    assertEquals(200, admin(server, "POST", CHAOS + "/off", json("reason", "IT: over")).status());
    assertEquals(404, server.getOrder("chaos-503").status(), "the injected error journaled no order");
    assertEquals(eventsBefore, server.orderEventCount());
    await().atMost(Duration.ofSeconds(30)).until(() -> TestServer.metricValue(server.metrics(), "spark_chaos_http_errors_total", "") >= 1);
    // chaos cleared: the recovery watch sees the executor back within SLO (the placeholder: ready)
    await().atMost(Duration.ofSeconds(30)).until(() -> admin(server, "GET", CHAOS, null).json().path("recovery").hasNonNull("tookMs"));
    await().atMost(Duration.ofSeconds(30)).until(() -> TestServer.metricValue(server.metrics(), "spark_chaos_recovery_total", "") >= 1);
  }

  @Test
  void exemptEndpointsAreNeverHit() {
    assertEquals(200, admin(server, "POST", CHAOS, json("httpErrorPct", 100, "httpLatencyMs", 0)).status());
    assertEquals(503, server.get("/api/private/positions").status(), "a private endpoint is hit");
    for (String path : List.of("/api/public/health", "/api/public/ready", "/api/public/metrics/prom")) {
      assertEquals(200, server.publicGet(path).status(), path);
    }
    assertEquals(200, server.get("/api/private/kill-switch").status());
    assertEquals(200, admin(server, "POST", "/api/private/kill-switch", json("state", "ACTIVE", "reason", "IT: exempt")).status());
    assertEquals(200, admin(server, "GET", CHAOS, null).status());
    await().atMost(Duration.ofSeconds(30)).until(() ->
        TestServer.metricValue(server.metrics(), "spark_chaos_setting", "setting=\"httpErrorPct\"") == 100);
  }

  @Test
  void scopeByRoutePrefixLeavesOtherRoutesAlone() {
    assertEquals(200, admin(server, "POST", CHAOS, json("httpErrorPct", 100, "scope", Map.of("routes", List.of("/api/private/positions"))))
        .status());
    assertEquals(503, server.get("/api/private/positions").status());
    assertEquals(404, server.getOrder("never-placed").status());
  }

  @Test
  void latencyIsAddedOnATimerWithoutHoldingAThread() {
    int latencyMs = 3_000;
    int requests = 64; // several times the default dispatcher's threads: blocking would take 8+ rounds
    assertEquals(200, admin(server, "POST", CHAOS, json("httpLatencyMs", latencyMs)).status());
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    long start = System.nanoTime();
    List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
    for (int i = 0; i < requests; i++) {
      inFlight.add(client.sendAsync(server.request("/api/private/positions").GET().build(), HttpResponse.BodyHandlers.ofString()));
    }
    for (CompletableFuture<HttpResponse<String>> f : inFlight) assertEquals(200, f.join().statusCode());
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    assertTrue(tookMs >= latencyMs, "latency added: " + tookMs + " ms");
    assertTrue(tookMs < 4 * latencyMs, requests + " delayed requests waited side by side, not in turns: " + tookMs + " ms");

    // a delayed request keeps its body
    Response placed = server.placeOrder(marketBuy("chaos-delayed"));
    assertEquals(200, placed.status(), placed::toString);
    assertEquals("FILLED", placed.json().path("status").asText());
  }

  @Test
  void aTraderGets403OnEveryChaosEndpoint() {
    String trader = TestServer.TRADER_KEY;
    assertEquals(403, as(server, trader, "GET", CHAOS, null).status());
    assertEquals(403, as(server, trader, "POST", CHAOS, json("httpErrorPct", 5)).status());
    assertEquals(403, as(server, trader, "POST", CHAOS + "/toggle", json("httpErrorPct", 5)).status());
    assertEquals(403, as(server, trader, "POST", CHAOS + "/off", "").status());
    Response anonymous = server.send(HttpRequest.newBuilder(server.uri(CHAOS)).GET().build());
    assertEquals(401, anonymous.status());
  }

  @Test
  void badInputAnswers400NamingTheFieldAndJournalsNothing() {
    int before = auditSize();
    Map<String, String> fieldFor = Map.of(
        json("httpErrorPct", 101), "httpErrorPct",
        json("httpLatencyMs", 60_001), "httpLatencyMs",
        json("venueErrorPct", -1), "venueErrorPct",
        json("venueTimeoutPct", "ten"), "venueTimeoutPct",
        json("bogus", 1), "bogus",
        json("scope", Map.of("routes", List.of("/api/public/health"))), "scope.routes",
        json("scope", Map.of("symbols", List.of("btc usdt"))), "scope.symbols",
        json("scope", Map.of("places", List.of())), "scope.places",
        json("reason", ""), "reason");
    fieldFor.forEach((body, field) -> {
      Response r = admin(server, "POST", CHAOS, body);
      assertEquals(400, r.status(), body + " -> " + r);
      assertEquals(field, r.json().path("error").path("field").asText(), body + " -> " + r);
    });
    Response toggle = admin(server, "POST", CHAOS + "/toggle", json("httpLatencyMs", 5));
    assertEquals(400, toggle.status());
    assertEquals("httpLatencyMs", toggle.json().path("error").path("field").asText(), "the toggle alias names its own fields");
    assertEquals(400, admin(server, "POST", CHAOS, "{not json").status());
    assertEquals(before, auditSize(), "nothing journaled");
  }

  @Test
  void theToggleAliasSetsTheSeedsThreeSettings() {
    Response r = admin(server, "POST", CHAOS + "/toggle", json("httpErrorPct", 0, "latencyMs", 10, "wsFlapSec", 2, "reason", "seed alias"));
    assertEquals(200, r.status(), r::toString);
    assertEquals(10, r.json().path("inForce").path("httpLatencyMs").asInt());
    assertEquals(2, r.json().path("inForce").path("wsFlapSec").asInt());
    JsonNode last = r.json().path("audit").get(r.json().path("audit").size() - 1);
    assertEquals("toggle", last.path("action").asText());
    assertEquals("dev-admin", last.path("by").asText());
    assertEquals("seed alias", last.path("reason").asText());
  }

  /** Its own journal: the start-up defaults apply while nothing is journaled, and the journaled settings win after. */
  @Test
  void settingsAreJournaledSurviveARestartAndOutrankTheStartUpDefaults(@TempDir Path journal) {
    var envDefaults = ConfigFactory.parseMap(Map.of("spark.chaos.ws-flap-sec", 7));
    try (TestServer first = TestServer.inProcess(journal, envDefaults)) {
      JsonNode fresh = admin(first, "GET", CHAOS, null).json();
      assertEquals("config", fresh.path("source").asText(), fresh::toString);
      assertEquals(7, fresh.path("inForce").path("wsFlapSec").asInt());
      assertEquals(0, fresh.path("audit").size());
      Response set = admin(first, "POST", CHAOS, json("venueErrorPct", 20, "venueLatencyMs", 200, "wsFlapSec", 3, "reason", "IT: drill",
          "scope", Map.of("symbols", List.of("BTCUSDT"))));
      assertEquals(200, set.status(), set::toString);
    }
    try (TestServer second = TestServer.inProcess(journal, envDefaults)) {
      JsonNode after = admin(second, "GET", CHAOS, null).json();
      assertEquals("journal", after.path("source").asText(), after::toString);
      JsonNode inForce = after.path("inForce");
      assertEquals(20, inForce.path("venueErrorPct").asInt());
      assertEquals(200, inForce.path("venueLatencyMs").asInt());
      assertEquals(3, inForce.path("wsFlapSec").asInt(), "the journaled setting wins over CHAOS_WS_FLAP_SEC");
      assertEquals("BTCUSDT", inForce.path("scope").path("symbols").get(0).asText());
      JsonNode entry = after.path("audit").get(0);
      assertEquals("dev-admin", entry.path("by").asText());
      assertEquals("IT: drill", entry.path("reason").asText());
      assertTrue(entry.hasNonNull("at"));
      Response off = admin(second, "POST", CHAOS + "/off", "");
      assertEquals(0, off.json().path("inForce").path("venueErrorPct").asInt());
      assertEquals("off", off.json().path("audit").get(1).path("action").asText());
    }
  }
}
