package io.sparkexec.venue;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.Guardian;
import io.sparkexec.metrics.Metrics;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import io.sparkexec.testing.TestVenueSim;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executor with VENUE=http against the real simulator over loopback: the venue gate, orders
 * acknowledged and filled through HttpVenue, fills of resting orders pushed by the user-data
 * stream into the order entities, the link's metrics; and TRADE_MODE=paper refusing a venue that
 * does not declare itself a simulator.
 */
@ExtendWith(LogCapturingExtension.class)
class ExecutorOverHttpIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dataDir;

  @Test
  void ordersGoThroughTheHttpVenueAndRestingFillsArriveUnasked() {
    try (TestVenueSim sim = TestVenueSim.inProcess(dataDir.resolve("sim"));
        TestServer server = TestServer.inProcess(dataDir.resolve("executor"), ConfigFactory.parseMap(Map.of(
            "spark.venue.kind", "http", "spark.venue.http.url", sim.url())))) {
      JsonNode gates = server.publicGet("/api/public/ready").json().path("gates");
      assertEquals("PASSED", gates.path("venue").path("status").asText(), gates::toString);
      assertTrue(gates.path("venue").path("detail").asText().contains("simulator=true"), gates::toString);

      Response market = server.placeOrder(json("clientOrderId", "http-mkt-1", "symbol", "BTCUSDT", "side", "BUY", "type", "MARKET",
          "quantity", "0.001"));
      assertEquals(200, market.status(), market::toString);
      assertEquals("FILLED", market.json().path("status").asText(), market::toString);
      assertEquals(1, sim.submissions("http-mkt-1"));

      // BUYs at the bid rest, then fill as the price walks: the fills come by the user-data stream
      BigDecimal bid = new BigDecimal(sim.get("/api/v3/ticker/bookTicker?symbol=SOLUSDT").json().path("bidPrice").asText());
      List<String> resting = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        String id = "http-rest-" + i;
        Response r = server.placeOrder(json("clientOrderId", id, "symbol", "SOLUSDT", "side", "BUY", "type", "LIMIT", "timeInForce", "GTC",
            "quantity", "1.000", "price", bid.setScale(2, RoundingMode.DOWN).toPlainString()));
        assertEquals(200, r.status(), r::toString);
        if (r.json().path("status").asText().equals("ACKNOWLEDGED")) resting.add(id);
      }
      assertTrue(!resting.isEmpty(), "some orders rested");
      await("a resting order filled by a pushed report").atMost(WAIT).until(() -> resting.stream()
          .anyMatch(id -> new BigDecimal(server.getOrder(id).json().path("executedQty").asText("0")).signum() > 0));
      for (String id : resting) assertEquals(1, sim.submissions(id), id);

      await("venue link metrics").atMost(WAIT).untilAsserted(() -> {
        String page = server.metrics();
        assertTrue(TestServer.metricValue(page, "spark_http_keepalive_connections", "") >= 1, "connections gauge");
        assertTrue(TestServer.metricValue(page, "spark_venue_call_duration_seconds_count", "endpoint=\"order\"") >= 1, "call histogram");
        assertTrue(page.contains("spark_venue_breaker_state"), "breaker gauge");
      });
    }
  }

  @Test
  void paperTradingRefusesAVenueThatDoesNotSayItIsASimulator() throws Exception {
    HttpServer realLooking = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    realLooking.createContext("/api/v3/time", ex -> answer(ex, "{\"serverTime\":" + System.currentTimeMillis() + "}"));
    realLooking.createContext("/api/v3/exchangeInfo", ex -> answer(ex, "{\"timezone\":\"UTC\",\"rateLimits\":[],\"symbols\":[]}"));
    realLooking.createContext("/api/v3/ticker/bookTicker", ex -> answer(ex, "[]"));
    realLooking.start();
    try {
      String url = "http://127.0.0.1:" + realLooking.getAddress().getPort();
      Config config = TestServer.config(dataDir.resolve("paper"),
          ConfigFactory.parseMap(Map.of("spark.venue.kind", "http", "spark.venue.http.url", url, "spark.trade-mode", "paper")));
      Metrics.init(config);
      ActorSystem<Guardian.Command> system = ActorSystem.create(Guardian.create(config), "spark-executor", config);
      try {
        // the executor shuts itself down once exchangeInfo has answered without "simulator": true
        system.getWhenTerminated().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      } finally {
        system.terminate();
      }
    } finally {
      realLooking.stop(0);
    }
  }

  private static void answer(com.sun.net.httpserver.HttpExchange exchange, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
