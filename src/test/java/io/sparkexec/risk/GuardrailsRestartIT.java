package io.sparkexec.risk;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A second ActorSystem on the same journal keeps the trading state, the limits, positions and daily usage. */
@ExtendWith(LogCapturingExtension.class)
class GuardrailsRestartIT {

  static Response admin(TestServer s, String method, String path, String body) {
    return s.send(s.request(path).setHeader("X-API-Key", "admin-dev-key").header("Content-Type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(body)).build());
  }

  @Test
  void restartKeepsStatePositionsAndDailyUsage(@TempDir Path dir) {
    String positions;
    try (TestServer first = TestServer.inProcess(dir)) {
      assertEquals(200, admin(first, "PUT", "/api/private/risk/limits",
          json("limit", "dailyNotionalPerStrategy", "value", "2000", "reason", "small budget")).status());
      Response buy = first.placeOrder(json("clientOrderId", "rs-1", "symbol", "BTCUSDT", "side", "BUY", "type", "MARKET", "quantity", "0.02",
          "strategy", "rs"));
      assertEquals("FILLED", buy.json().path("status").asText(), buy::toString);
      await().atMost(Duration.ofSeconds(30)).until(() -> first.get("/api/private/positions?strategy=rs").json().path("positions").size() == 1);
      positions = first.get("/api/private/positions?strategy=rs").text();
      assertEquals(200, admin(first, "POST", "/api/private/kill-switch", json("state", "REDUCING", "reason", "before restart")).status());
    }
    try (TestServer second = TestServer.inProcess(dir)) {
      assertEquals(positions, second.get("/api/private/positions?strategy=rs").text());
      assertEquals("REDUCING", second.get("/api/private/kill-switch").json().path("state").asText());
      assertEquals(200, admin(second, "POST", "/api/private/kill-switch", json("state", "ACTIVE", "reason", "after restart")).status());
      // ~1300 of 2000 used before the restart: another 0.02 BTC (~1300) would exceed it
      Response hit = second.placeOrder(json("clientOrderId", "rs-2", "symbol", "BTCUSDT", "side", "BUY", "type", "MARKET", "quantity", "0.02",
          "strategy", "rs"));
      assertEquals(422, hit.status(), hit::toString);
      assertEquals("dailyNotionalPerStrategy", hit.json().path("error").path("details").path("limit").asText());
    }
  }
}
