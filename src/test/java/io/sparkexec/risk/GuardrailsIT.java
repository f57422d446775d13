package io.sparkexec.risk;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.ExitCode;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The guardrails over real loopback HTTP against an in-process executor on a temp LevelDB journal. */
@ExtendWith(LogCapturingExtension.class)
class GuardrailsIT {

  static final String ADMIN = "admin-dev-key";
  static final String ALPHA = "alpha-key";
  static final String BETA = "beta-key";

  @TempDir
  static Path dataDir;

  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.inProcess(dataDir, ConfigFactory.parseString("""
        spark.auth.keys = [
          { key = "trader-dev-key", role = "trader", name = "dev-trader" }
          { key = "admin-dev-key", role = "admin", name = "dev-admin" }
          { key = "alpha-key", role = "trader", name = "alpha-bot", strategies = ["alpha", "alpha-dm"] }
          { key = "beta-key", role = "trader", name = "beta-bot", strategies = ["beta"] }
        ]
        """));
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  @AfterEach
  void active() {
    assertEquals(200, as(ADMIN, "POST", "/api/private/kill-switch", json("state", "ACTIVE", "reason", "test over")).status());
  }

  static Response as(String key, String method, String path, String body) {
    HttpRequest.Builder b = server.request(path).setHeader("X-API-Key", key);
    if (body != null) b.header("Content-Type", "application/json");
    return server.send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build());
  }

  static String market(String id, String strategy, String side, String qty) {
    return json("clientOrderId", id, "symbol", "BTCUSDT", "side", side, "type", "MARKET", "quantity", qty, "strategy", strategy);
  }

  /**
   * A BUY about 2.3% under the simulator's BTCUSDT start price (inside the 5% collar): the seeded walk
   * (2 bps a tick) does not reach it within a test, so it rests.
   */
  static String resting(String id, String strategy) {
    return json("clientOrderId", id, "symbol", "BTCUSDT", "side", "BUY", "type", "LIMIT", "quantity", "0.001", "price", "63500.00",
        "timeInForce", "GTC", "strategy", strategy);
  }

  static BigDecimal position(String strategy) {
    JsonNode rows = as(ADMIN, "GET", "/api/private/positions?strategy=" + strategy, null).json().path("positions");
    for (JsonNode row : rows) if (row.path("symbol").asText().equals("BTCUSDT")) return new BigDecimal(row.path("quantity").asText());
    return BigDecimal.ZERO;
  }

  @Test
  void haltedRefusesNewOrdersWith423AndJournalsNothingForThem() {
    Response engaged = as(ADMIN, "POST", "/api/private/kill-switch", json("state", "HALTED", "reason", "drill: venue prices wrong"));
    assertEquals(200, engaged.status(), engaged::toString);
    assertEquals("HALTED", engaged.json().path("state").asText());
    assertEquals("dev-admin", engaged.json().path("by").asText());
    long eventsBefore = server.orderEventCount();

    Response refused = server.placeOrder(market("halt-1", "gamma", "BUY", "0.001"));

    assertEquals(423, refused.status(), refused::toString);
    JsonNode error = refused.json().path("error");
    assertEquals("TRADING_HALTED", error.path("code").asText());
    assertEquals("HALTED", error.path("details").path("state").asText());
    assertEquals("drill: venue prices wrong", error.path("details").path("reason").asText());
    assertEquals(404, server.getOrder("halt-1").status());
    assertEquals(eventsBefore, server.orderEventCount(), "nothing journaled for a refused order");
    assertEquals("HALTED", server.get("/api/private/kill-switch").json().path("state").asText(), "any role may read the state");
    JsonNode audit = server.get("/api/private/risk/audit").json().path("entries");
    assertEquals("drill: venue prices wrong", audit.get(audit.size() - 1).path("reason").asText());
  }

  @Test
  void haltedWithCancelOpenCancelsWhatIsOpen() {
    assertEquals(200, server.placeOrder(resting("halt-open-1", "delta")).status());
    Response engaged = as(ADMIN, "POST", "/api/private/kill-switch", json("state", "HALTED", "reason", "cancel all", "cancelOpen", true));
    assertEquals(200, engaged.status(), engaged::toString);
    assertTrue(engaged.json().path("canceled").path("matched").asInt() >= 1, engaged::toString);
    assertEquals("CANCELED", server.getOrder("halt-open-1").json().path("status").asText());
  }

  @Test
  void reducingAcceptsAReducingOrderAndRefusesOneThatWouldCrossZero() {
    Response buy = server.placeOrder(market("red-buy", "red", "BUY", "0.01"));
    assertEquals("FILLED", buy.json().path("status").asText(), buy::toString);
    await().atMost(Duration.ofSeconds(30)).until(() -> position("red").compareTo(new BigDecimal("0.01")) == 0);
    assertEquals(200, as(ADMIN, "POST", "/api/private/kill-switch", json("state", "REDUCING", "reason", "unwind")).status());

    Response cross = server.placeOrder(market("red-cross", "red", "SELL", "0.02"));
    assertEquals(423, cross.status(), cross::toString);
    assertEquals("TRADING_REDUCING", cross.json().path("error").path("code").asText());
    assertEquals("0.01", cross.json().path("error").path("details").path("maxReducingQty").asText());
    assertEquals(423, server.placeOrder(market("red-more", "red", "BUY", "0.001")).status());

    Response reduce = server.placeOrder(market("red-sell", "red", "SELL", "0.01"));
    assertEquals(200, reduce.status(), reduce::toString);
    await().atMost(Duration.ofSeconds(30)).until(() -> position("red").signum() == 0);
  }

  @Test
  void aRuntimeLimitIsJournaledAndAHitNamesTheLimitAttemptAndRemainder() {
    Response set = as(ADMIN, "PUT", "/api/private/risk/limits", json("limit", "maxOrderQty", "value", "0.5", "reason", "tighten"));
    assertEquals(200, set.status(), set::toString);
    try {
      Response hit = server.placeOrder(market("lim-1", "eps", "BUY", "0.6"));
      assertEquals(422, hit.status(), hit::toString);
      JsonNode d = hit.json().path("error").path("details");
      assertEquals("maxOrderQty", d.path("limit").asText());
      assertEquals("0.6", d.path("attempted").asText());
      assertEquals("0.5", d.path("remaining").asText());
      Response bad = as(ADMIN, "PUT", "/api/private/risk/limits", json("limit", "maxOrderQty", "value", "-1", "reason", "x"));
      assertEquals(400, bad.status(), bad::toString);
      assertEquals("value", bad.json().path("error").path("field").asText());
      assertEquals("0.5", server.get("/api/private/risk/limits").json().path("limits").path("maxOrderQty").asText(), "bad input changes nothing");
    } finally {
      as(ADMIN, "PUT", "/api/private/risk/limits", json("limit", "maxOrderQty", "value", "1000", "reason", "restore"));
    }
  }

  @Test
  void theDeadManSwitchCancelsTheStrategysOpenOrdersAfterItsWindow() {
    assertEquals(200, as(ALPHA, "POST", "/api/private/order", resting("dm-1", "alpha-dm")).status());
    assertEquals(200, as(ALPHA, "POST", "/api/private/order", resting("dm-other", "alpha")).status());
    Response armed = as(ALPHA, "POST", "/api/private/heartbeat", json("strategy", "alpha-dm", "windowMs", 1000));
    assertEquals(200, armed.status(), armed::toString);

    await().atMost(Duration.ofSeconds(30)).until(() -> server.getOrder("dm-1").json().path("status").asText().equals("CANCELED"));
    assertEquals("ACKNOWLEDGED", server.getOrder("dm-other").json().path("status").asText(), "other strategies are untouched");
    await().atMost(Duration.ofSeconds(30)).until(() -> TestServer.metricValue(server.metrics(), "spark_dead_man_triggered_total", "") >= 1);
    assertEquals(403, as(BETA, "POST", "/api/private/heartbeat", json("strategy", "alpha-dm", "windowMs", 1000)).status(),
        "a trader arms only its own strategies");
    assertEquals(400, as(ALPHA, "POST", "/api/private/heartbeat", json("strategy", "alpha-dm", "windowMs", 10)).status());
  }

  @Test
  void aTraderGets403OnAdminEndpoints() {
    for (String[] call : new String[][] {
        {"POST", "/api/private/kill-switch", json("state", "HALTED", "reason", "x")},
        {"PUT", "/api/private/risk/limits", json("limit", "maxOrderQty", "value", "1", "reason", "x")},
        {"POST", "/api/private/auth/reload", null}}) {
      Response r = as(TestServer.TRADER_KEY, call[0], call[1], call[2]);
      assertEquals(403, r.status(), () -> call[1] + ": " + r);
      assertEquals("FORBIDDEN", r.json().path("error").path("code").asText());
    }
    assertEquals("ACTIVE", server.get("/api/private/kill-switch").json().path("state").asText());
  }

  @Test
  void aScopedKeyCannotSeeOrCancelAnotherStrategysOrder() {
    assertEquals(200, as(BETA, "POST", "/api/private/order", resting("scope-beta-1", "beta")).status());

    assertEquals(404, as(ALPHA, "GET", "/api/private/order/scope-beta-1", null).status());
    assertEquals(404, as(ALPHA, "DELETE", "/api/private/order/scope-beta-1", null).status());
    JsonNode open = as(ALPHA, "GET", "/api/private/open-orders", null).json();
    for (JsonNode o : open.path("orders")) assertFalse(o.path("strategy").asText().equals("beta"), open::toString);
    assertEquals(0, as(ALPHA, "DELETE", "/api/private/open-orders?strategy=beta", null).json().path("matched").asInt());
    Response foreign = as(ALPHA, "POST", "/api/private/order", resting("scope-alpha-as-beta", "beta"));
    assertEquals(403, foreign.status(), foreign::toString);
    assertEquals("strategy", foreign.json().path("error").path("field").asText());

    assertEquals("ACKNOWLEDGED", as(BETA, "GET", "/api/private/order/scope-beta-1", null).json().path("status").asText());
    Response mass = as(BETA, "DELETE", "/api/private/open-orders?symbol=BTCUSDT", null);
    assertEquals(1, mass.json().path("matched").asInt(), mass::toString);
    assertEquals("CANCELED", server.getOrder("scope-beta-1").json().path("status").asText(), "admin and unbound keys see every strategy");
  }

  /** The real jar, as an operator starts it: it must exit with the reason before opening anything. */
  @Test
  void liveWithoutLiveEnabledRefusesToStart(@TempDir Path liveDir) throws Exception {
    Path jar = Path.of("target", "spark-executor.jar").toAbsolutePath();
    assertTrue(Files.isRegularFile(jar), jar + " is missing: run `mvn verify` (failsafe runs after package)");
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m", "-jar", jar.toString(),
        "serve").redirectErrorStream(true).redirectOutput(liveDir.resolve("out.log").toFile());
    pb.environment().putAll(Map.of("TRADE_MODE", "live", "LIVE_ENABLED", "false", "HTTP_PORT", String.valueOf(TestServer.freePort()),
        "JOURNAL_DIR", liveDir.resolve("journal").toString(), "CLUSTER_PORT", "0"));
    Process p = pb.start();
    try {
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "still running: live must refuse to start");
      String out = Files.readString(liveDir.resolve("out.log"));
      assertEquals(ExitCode.CONFIG.code, p.exitValue(), out);
      assertTrue(out.contains("refusing to start: TRADE_MODE=live needs LIVE_ENABLED=true"), out);
      assertFalse(Files.exists(liveDir.resolve("journal")), "nothing was opened");
    } finally {
      p.destroyForcibly();
    }
  }
}
