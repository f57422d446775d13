package io.sparkexec.feed;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.testing.TestServer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The guardrails' system events reach the feed's system channel on the real executor. */
@ExtendWith(LogCapturingExtension.class)
class GuardrailEventsIT {

  @Test
  void aKillSwitchChangeAndADeadManFiringArriveOnTheSystemChannel(@TempDir Path dir) throws Exception {
    try (TestServer server = TestServer.inProcess(dir);
        JdkWsClient ws = JdkWsClient.connect(URI.create("ws://127.0.0.1:" + server.port() + "/ws/feed?channels=system"), TestServer.TRADER_KEY)) {
      assertEquals("welcome", ws.next("control").path("type").asText());
      // the hub knows the connection before anything is published (no race with the first event)
      await().atMost(Duration.ofSeconds(30)).until(() -> server.send(server.request("/api/private/websocket/status")
          .setHeader("X-API-Key", "admin-dev-key").GET().build()).json().path("connections").asInt() == 1);

      var engaged = server.send(server.request("/api/private/kill-switch").setHeader("X-API-Key", "admin-dev-key")
          .header("Content-Type", "application/json")
          .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json("state", "HALTED", "reason", "feed drill"))).build());
      assertEquals(200, engaged.status(), engaged::toString);
      JsonNode halted = ws.next("system");
      assertEquals("trading_state_changed", halted.path("type").asText(), halted::toString);
      assertEquals("HALTED", halted.path("to").asText());
      assertEquals("feed drill", halted.path("reason").asText());

      assertEquals(200, server.post("/api/private/heartbeat", json("strategy", "feed-dm", "windowMs", 500)).status());
      JsonNode fired = ws.next("system");
      assertEquals("dead_man_triggered", fired.path("type").asText(), fired::toString);
      assertEquals("feed-dm", fired.path("strategy").asText());
      assertEquals(0, fired.path("canceledOrders").asInt());
    }
  }
}
