package io.sparkexec.http;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.TestServer;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #14 F13: the public metrics page names no strategy to a client without a key; a key sees
 * the per-strategy series its scope covers (Prometheus sends it as a Bearer token).
 */
class MetricsScopeIT {

  static final String ALPHA_KEY = "alpha-key";
  static final String PAGE = "/api/public/metrics/prom";

  @TempDir
  static Path dataDir;

  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.inProcess(dataDir, ConfigFactory.parseString("""
        spark.slo.evaluate-every = 1 s
        spark.auth.keys = [
          { key = "trader-dev-key", role = "trader", name = "dev-trader" }
          { key = "admin-dev-key", role = "admin", name = "dev-admin" }
          { key = "alpha-key", role = "trader", name = "alpha-bot", strategies = ["alpha"] }
        ]
        """));
    for (String strategy : new String[] {"alpha", "beta"}) {
      TestServer.Response r = server.placeOrder(json("clientOrderId", "m-" + strategy, "symbol", "BTCUSDT", "side", "BUY", "type", "MARKET",
          "quantity", "0.001", "strategy", strategy));
      assertEquals(200, r.status(), r::toString);
    }
    // the SLO room publishes its per-strategy series on its next evaluation
    await().atMost(Duration.ofSeconds(60)).until(() -> page("X-API-Key", "admin-dev-key").contains("strategy=\"beta\""));
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  static String page(String header, String value) {
    HttpRequest.Builder b = HttpRequest.newBuilder(server.uri(PAGE)).GET();
    if (header != null) b.header(header, value);
    TestServer.Response r = server.send(b.build());
    assertEquals(200, r.status(), r::text);
    return r.text();
  }

  @Test
  void withoutAKeyThePageNamesNoStrategy() {
    String page = page(null, null);
    assertFalse(page.contains("strategy=\""), "a strategy label on the public page");
    // the node-wide series are all there
    assertTrue(page.contains("spark_slo_burn_rate{"), page);
    assertTrue(page.contains("spark_orders_accepted"), page);
  }

  @Test
  void aScopedKeySeesItsOwnStrategiesOnly() {
    String page = page("Authorization", "Bearer " + ALPHA_KEY);
    assertTrue(page.contains("strategy=\"alpha\""), page);
    assertFalse(page.contains("strategy=\"beta\""), page);
    assertEquals(page.lines().filter(l -> l.contains("strategy=\"alpha\"")).count(),
        page("X-API-Key", ALPHA_KEY).lines().filter(l -> l.contains("strategy=\"alpha\"")).count());
  }

  @Test
  void anUnboundKeySeesEveryStrategy() {
    String page = page("Authorization", "Bearer admin-dev-key");
    assertTrue(page.contains("strategy=\"alpha\"") && page.contains("strategy=\"beta\""), page);
  }

  @Test
  void anUnknownKeyIsRefusedNotServedThePublicPage() {
    TestServer.Response r = server.send(HttpRequest.newBuilder(server.uri(PAGE)).header("Authorization", "Bearer nobody").GET().build());
    assertEquals(401, r.status(), r::text);
    assertEquals("UNAUTHORIZED", r.json().path("error").path("code").asText());
  }
}
