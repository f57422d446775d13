package io.sparkexec.front;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import io.sparkexec.testing.TestVenueSim;
import io.sparkexec.venue.Signing;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The front door with TRADE_MODE=shadow and the in-process simulated venue: an order is answered
 * by the shadow as POST /api/private/order is (a simulated fill, recorded in the shadow book),
 * nothing real exists; the account has no venue account behind it: no balances.
 */
class BinanceFrontShadowIT {

  @TempDir
  static Path dir;

  @Test
  void shadowModeAnswersWithTheShadowAndTheInProcessVenueHasNoBalances() {
    int port = TestServer.freePort();
    try (TestServer server = TestServer.inProcess(dir, ConfigFactory.parseMap(Map.of("spark.trade-mode", "shadow",
        "spark.binance.enabled", true, "spark.binance.port", port)))) {
      Map<String, String> order = new LinkedHashMap<>(Map.of("symbol", "BTCUSDT", "side", "BUY", "type", "MARKET", "quantity", "0.01",
          "newClientOrderId", "front-shadow-1"));
      Response placed = signed(server, port, "POST", "/api/v3/order", order);
      assertEquals(200, placed.status(), placed::toString);
      JsonNode o = placed.json();
      assertEquals("FILLED", o.path("status").asText(), o::toString);
      assertEquals("front-shadow-1", o.path("clientOrderId").asText());
      assertEquals(0, new java.math.BigDecimal("0.01").compareTo(new java.math.BigDecimal(o.path("executedQty").asText())), o::toString);
      assertEquals(404, server.getOrder("front-shadow-1").status(), "nothing real was placed");
      assertEquals(1, server.get("/api/private/shadow/orders").json().path("count").asInt(), "the shadow book recorded it");

      Response account = signed(server, port, "GET", "/api/v3/account", Map.of());
      assertEquals(200, account.status(), account::toString);
      assertEquals(0, account.json().path("balances").size(), account::toString);
    }
  }

  static Response signed(TestServer server, int port, String method, String path, Map<String, String> params) {
    Map<String, String> all = new LinkedHashMap<>(params);
    all.put("timestamp", String.valueOf(System.currentTimeMillis()));
    String query = TestVenueSim.queryString(all);
    String signed = query + "&signature=" + new Signing("front-dev-secret").sign(query);
    return server.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path + "?" + signed)).timeout(Duration.ofSeconds(30))
        .header("X-MBX-APIKEY", "front-dev-key").method(method, HttpRequest.BodyPublishers.noBody()).build());
  }
}
