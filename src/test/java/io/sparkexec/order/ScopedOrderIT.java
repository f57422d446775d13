package io.sparkexec.order;

import static io.sparkexec.testing.TestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A key bound to one strategy learns nothing of another strategy's orders from the order API. */
class ScopedOrderIT {

  static final String ALPHA = "alpha-key";
  static final String BETA = "beta-key";

  @TempDir
  static Path dataDir;

  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.inProcess(dataDir, ConfigFactory.parseString("""
        spark.auth.keys = [
          { key = "admin-dev-key", role = "admin", name = "dev-admin" }
          { key = "alpha-key", role = "trader", name = "alpha-bot", strategies = ["alpha"] }
          { key = "beta-key", role = "trader", name = "beta-bot", strategies = ["beta"] }
        ]
        """));
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  static Response place(String key, String id, String strategy) {
    return server.send(server.request("/api/private/order").setHeader("X-API-Key", key).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json("clientOrderId", id, "symbol", "BTCUSDT", "side", "BUY", "type", "LIMIT",
            "timeInForce", "GTC", "quantity", "0.001", "price", "30000.00", "strategy", strategy))).build());
  }

  @Test
  void anotherStrategysClientOrderIdIsAConflictThatShowsNothingOfItsOrder() {
    assertTrue(place(BETA, "shared-id-1", "beta").status() < 300);

    Response alpha = place(ALPHA, "shared-id-1", "alpha");

    assertEquals(409, alpha.status(), alpha::toString);
    JsonNode error = alpha.json().path("error");
    assertEquals("IDEMPOTENCY_CONFLICT", error.path("code").asText());
    assertTrue(error.path("details").isMissingNode(), () -> "no details of beta's order: " + alpha);
    assertFalse(alpha.text().contains("beta"), () -> "nothing of beta's order: " + alpha);
  }

  @Test
  void aConflictWithinTheKeysOwnScopeStillShowsTheExistingOrder() {
    assertTrue(place(ALPHA, "own-id-1", "alpha").status() < 300);
    Response again = server.send(server.request("/api/private/order").setHeader("X-API-Key", ALPHA).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json("clientOrderId", "own-id-1", "symbol", "BTCUSDT", "side", "SELL", "type", "LIMIT",
            "timeInForce", "GTC", "quantity", "0.001", "price", "90000.00", "strategy", "alpha"))).build());
    assertEquals(409, again.status(), again::toString);
    assertEquals("own-id-1", again.json().path("error").path("details").path("existing").path("clientOrderId").asText(), again::toString);
  }
}
