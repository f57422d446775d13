package io.sparkexec.slo;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The warm-up gate on a real start: ready stays 503 while canary orders warm the path, then turns 200. */
@ExtendWith(LogCapturingExtension.class)
class WarmUpIT {

  // one order at a time through a venue answering after 15 ms: the warm-up lasts seconds, long enough to watch
  static final int ORDERS = 300;

  @TempDir
  Path dataDir;

  TestServer server;

  @AfterEach
  void stop() {
    if (server != null) server.close();
  }

  @Test
  void readyStays503WithTheWarmUpAsReasonUntilItsCanaryOrdersHaveGoneThrough() {
    server = TestServer.starting(TestServer.config(dataDir, ConfigFactory.parseMap(Map.of(
        "spark.canary.warm-up.enabled", true,
        "spark.canary.warm-up.orders", ORDERS,
        "spark.canary.warm-up.concurrency", 1,
        "spark.canary.warm-up.max-sec", 300,
        "spark.venue.sim.ack-latency-ms", 15))));

    AtomicReference<JsonNode> warming = new AtomicReference<>();
    await("the warm-up under way").atMost(TestServer.START_TIMEOUT).pollInterval(Duration.ofMillis(20)).ignoreExceptions().until(() -> {
      Response r = server.publicGet("/api/public/ready");
      JsonNode gates = r.json().path("gates");
      if (r.status() != 503 || !gates.path("warm-up").path("detail").asText("").startsWith("warming up")) return false;
      warming.set(r.json());
      return true;
    });
    JsonNode gates = warming.get().path("gates");
    assertEquals("PENDING", gates.path("warm-up").path("status").asText(), gates::toString);
    for (Iterator<Map.Entry<String, JsonNode>> it = gates.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> gate = it.next();
      if (!gate.getKey().equals("warm-up")) assertEquals("PASSED", gate.getValue().path("status").asText(), "the warm-up runs last: " + gates);
    }
    // the readiness bypass is the canary's alone: a client's order still waits
    Response early = server.placeOrder(json("clientOrderId", "warm-early-1", "symbol", "BTCUSDT", "side", "BUY", "type", "MARKET",
        "quantity", "0.001"));
    assertEquals(503, early.status(), early::toString);
    assertEquals("NOT_READY", early.json().path("error").path("code").asText());

    server.awaitReady();

    JsonNode gate = server.publicGet("/api/public/ready").json().path("gates").path("warm-up");
    assertEquals("PASSED", gate.path("status").asText(), gate::toString);
    assertTrue(gate.path("detail").asText().startsWith("warmed up with " + ORDERS + " canary orders (0 errors) in "), gate::toString);
    // the warm-up's orders went through the synthetic desks: nothing of them is in the order stream
    // that positions, the fill export, the feed and shadow twins read
    assertEquals(0, server.orderEventCount(), "the warm-up leaves no order events");
    Response after = server.placeOrder(json("clientOrderId", "warm-after-1", "symbol", "BTCUSDT", "side", "BUY", "type", "MARKET",
        "quantity", "0.001"));
    assertEquals(200, after.status(), after::toString);
  }
}
