package io.sparkexec.slo;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The canary endpoint over real loopback HTTP against an in-process executor (warm-up off, as in every other IT). */
@ExtendWith(LogCapturingExtension.class)
class CanaryIT {

  static final String ADMIN = "admin-dev-key";
  static final List<String> PHASES = List.of("http_guards", "entity", "journal_batch", "venue", "final", "total");

  @TempDir
  static Path dataDir;

  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.inProcess(dataDir);
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  static Response as(String key, String method, String path, String body) {
    HttpRequest.Builder b = server.request(path).setHeader("X-API-Key", key);
    if (body != null) b.header("Content-Type", "application/json");
    return server.send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build());
  }

  static JsonNode runCanary(String path) {
    Response r = as(ADMIN, "POST", path, null);
    assertEquals(200, r.status(), r::toString);
    return r.json();
  }

  @Test
  void aDryCanaryGoesThroughTheWholePathToTheVenueAndAnswersEachPhase() {
    JsonNode run = runCanary("/api/private/canary/run?dry=true");

    assertTrue(run.path("ok").asBoolean(), run::toString);
    assertTrue(run.path("dry").asBoolean());
    assertEquals("/api/private/order", run.path("path").asText());
    assertEquals("canary", run.path("strategy").asText());
    JsonNode order = run.path("orders").get(0);
    for (String phase : PHASES) {
      assertTrue(order.path("phasesMs").path(phase).asDouble() > 0, phase + " > 0 in " + order);
    }
    double parts = 0;
    for (String phase : PHASES.subList(0, 5)) parts += order.path("phasesMs").path(phase).asDouble();
    assertTrue(parts <= order.path("phasesMs").path("total").asDouble() + 1, "the phases add up to about the round trip: " + order);

    // the order reached the venue and is final; it went through the synthetic desk, so it is no user's order
    assertEquals("EXPIRED", order.path("status").asText(), order::toString);
    assertFalse(order.path("venueOrderId").asText("").isEmpty(), "acknowledged by the venue: " + order);
    String id = order.path("clientOrderId").asText();
    Response stored = as(ADMIN, "GET", "/api/private/order/" + id, null);
    assertEquals(404, stored.status(), "a canary order leaves no trace in the order API: " + stored);
  }

  @Test
  void theOldPathIsAnAliasAndBothNeedTheAdminRole() {
    JsonNode run = runCanary("/canary/run?dry=true");
    assertTrue(run.path("ok").asBoolean(), run::toString);
    assertEquals("EXPIRED", run.path("orders").get(0).path("status").asText());

    for (String path : List.of("/api/private/canary/run?dry=true", "/canary/run?dry=true")) {
      Response trader = as(TestServer.TRADER_KEY, "POST", path, null);
      assertEquals(403, trader.status(), trader::toString);
      assertEquals("FORBIDDEN", trader.json().path("error").path("code").asText());
      Response anonymous = server.send(HttpRequest.newBuilder(server.uri(path)).POST(HttpRequest.BodyPublishers.noBody()).build());
      assertEquals(401, anonymous.status(), anonymous::toString);
    }
  }

  @Test
  void dryMustBeTrueOrFalseAndFalseIsAllowedOnTheSimulator() {
    Response bad = as(ADMIN, "POST", "/api/private/canary/run?dry=maybe", null);
    assertEquals(400, bad.status(), bad::toString);
    assertEquals("dry", bad.json().path("error").path("field").asText());
    // the venue is the simulator: dry=false reaches nothing real either
    JsonNode run = runCanary("/api/private/canary/run?dry=false");
    assertTrue(run.path("ok").asBoolean(), run::toString);
    assertFalse(run.path("dry").asBoolean());
  }

  @Test
  void canaryOrdersLeaveARealStrategysPositionAlone() {
    Response first = server.placeOrder(market("canary-risk-1", "alpha"));
    assertEquals(200, first.status(), first::toString);
    await().atMost(Duration.ofSeconds(60)).until(() -> position("alpha").compareTo(new BigDecimal("0.001")) == 0);

    for (int i = 0; i < 3; i++) runCanary("/api/private/canary/run?dry=true");
    // a later real order: once the ledger shows it, it has folded every canary order before it
    Response second = server.placeOrder(market("canary-risk-2", "alpha"));
    assertEquals(200, second.status(), second::toString);
    await().atMost(Duration.ofSeconds(60)).until(() -> position("alpha").compareTo(new BigDecimal("0.002")) >= 0);

    assertEquals(0, position("alpha").compareTo(new BigDecimal("0.002")), "alpha: its own two orders only");
    assertEquals(0, position("canary").signum(), "canary orders never fill");
  }

  @Test
  void theCanaryHistogramHasTheFineBucketsAndRealOrdersLatencyLeavesCanaryOrdersOut() {
    String before = pageAfterEverythingSoFar();
    runCanary("/api/private/canary/run?dry=true");
    double runsBefore = TestServer.metricValue(before, "spark_canary_runs_total", "");
    await().atMost(Duration.ofSeconds(60)).until(() -> TestServer.metricValue(server.metrics(), "spark_canary_runs_total", "") > runsBefore);

    String page = server.metrics();
    for (String le : List.of("0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2", "4", "8")) {
      Pattern bucket = Pattern.compile("(?m)^executor_canary_duration_seconds_bucket\\{.*le=\"" + Pattern.quote(le) + "(\\.0)?\".*\\}");
      assertTrue(bucket.matcher(page).find(), "bucket " + le);
    }
    for (String phase : PHASES) {
      assertTrue(TestServer.metricValue(page, "executor_canary_duration_seconds_count", "phase=\"" + phase + "\"") >= 1, phase);
    }
    assertTrue(page.contains("# HELP executor_canary_duration_seconds "), "described");
    // the canary's order is left out of the real orders' counters and place->ack histogram
    assertEquals(metric(before, "spark_orders_accepted_total"), metric(page, "spark_orders_accepted_total"), page);
    assertEquals(metric(before, "spark_order_place_ack_duration_seconds_count"), metric(page, "spark_order_place_ack_duration_seconds_count"), page);
  }

  /** A metrics page published after every request made so far (the scrape itself is counted: wait for a tick that shows it). */
  private static String pageAfterEverythingSoFar() {
    String route = "route=\"/api/public/metrics/prom\"";
    double scrapes = TestServer.metricValue(server.metrics(), "spark_http_request_duration_seconds_count", route);
    AtomicReference<String> page = new AtomicReference<>();
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      page.set(server.metrics());
      return TestServer.metricValue(page.get(), "spark_http_request_duration_seconds_count", route) > scrapes;
    });
    return page.get();
  }

  private static double metric(String page, String name) {
    return TestServer.metricValue(page, name, "");
  }

  @Test
  void withTheWarmUpDisabledItsGatePassesAtOnce() {
    JsonNode gate = server.publicGet("/api/public/ready").json().path("gates").path("warm-up");
    assertEquals("PASSED", gate.path("status").asText(), gate::toString);
    assertTrue(gate.path("detail").asText().contains("disabled"), gate::toString);
  }

  private static String market(String id, String strategy) {
    return json("clientOrderId", id, "symbol", "BTCUSDT", "side", "BUY", "type", "MARKET", "quantity", "0.001", "strategy", strategy);
  }

  private static BigDecimal position(String strategy) {
    JsonNode rows = as(ADMIN, "GET", "/api/private/positions?strategy=" + strategy, null).json().path("positions");
    for (JsonNode row : rows) if (row.path("symbol").asText().equals("BTCUSDT")) return new BigDecimal(row.path("quantity").asText());
    return BigDecimal.ZERO;
  }
}
