package io.sparkexec.shadow;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Shadow orders over real HTTP: shadow mode places nothing; shadow-live twins and the A/B report against real fills. */
@ExtendWith(LogCapturingExtension.class)
class ShadowIT {

  static String market(String id, String strategy, String side, String qty) {
    return json("clientOrderId", id, "symbol", "BTCUSDT", "side", side, "type", "MARKET", "quantity", qty, "strategy", strategy);
  }

  @Test
  void shadowModeAnswersEveryOrderFromTheShadowAndPlacesNothing(@TempDir Path dir) {
    try (TestServer server = TestServer.inProcess(dir, ConfigFactory.parseString("spark.trade-mode = shadow"))) {
      Response r = server.placeOrder(market("sh-1", "s1", "BUY", "0.5"));
      assertEquals(200, r.status(), r::toString);
      JsonNode o = r.json();
      assertEquals("mode", o.path("source").asText());
      assertEquals("FILLED", o.path("status").asText());
      // 0.5 of a 2.5 touch at 5 bps per touch: 1 bp of impact over the decision price, rounded up to the tick
      BigDecimal decision = new BigDecimal(o.path("decisionPrice").asText());
      BigDecimal expected = decision.multiply(new BigDecimal("1.0001")).divide(new BigDecimal("0.01"), 0, RoundingMode.CEILING)
          .multiply(new BigDecimal("0.01"));
      assertEquals(0, expected.compareTo(new BigDecimal(o.path("avgPrice").asText())), o::toString);

      assertEquals(404, server.getOrder("sh-1").status(), "nothing was placed");
      assertEquals(0, server.orderEventCount(), "nothing in the order journal");
      Response refused = server.placeOrder(market("sh-2", "s1", "BUY", "0.000001"));
      assertEquals(422, refused.status(), "validation and guards run as for real orders: " + refused);
      assertEquals(1, server.get("/api/private/shadow/orders?strategy=s1").json().path("count").asInt());
      JsonNode report = server.get("/api/private/shadow/report?strategy=s1").json();
      assertEquals("shadow", report.path("mode").asText());
      assertTrue(report.path("real").isNull(), report::toString);
      assertEquals(1, report.path("shadow").path("count").asInt());
    }
  }

  @Test
  void shadowOrdersMeetThePerStrategyAndTheNodeOrderRate(@TempDir Path dir) {
    try (TestServer server = TestServer.inProcess(dir, ConfigFactory.parseString(
        "spark.trade-mode = shadow\nspark.risk.limits.max-orders-per-second-per-strategy = 2\nspark.risk.node.max-orders-per-second = 4"))) {
      int shadowed = 0;
      List<String> codes = new ArrayList<>();
      // within a few seconds: at most 2 a second for one strategy, 4 a second for the node
      for (int i = 0; i < 8; i++) {
        Response r = server.placeOrder(market("rl-" + i, "rl", "BUY", "0.01"));
        if (r.status() == 200) {
          shadowed++;
          continue;
        }
        assertEquals(429, r.status(), r::toString);
        assertTrue(r.header("Retry-After").isPresent(), r::toString);
        codes.add(r.json().path("error").path("code").asText());
      }
      assertTrue(codes.contains("RATE_LIMIT"), () -> "the strategy's rate applies to shadow orders: " + codes);
      assertEquals(shadowed, server.get("/api/private/shadow/orders?strategy=rl").json().path("count").asInt(), "a refused one is not recorded");
      for (int i = 0; i < 12; i++) {
        Response r = server.post("/api/private/order/shadow", market("nrl-" + i, "nrl-" + i, "BUY", "0.01"));
        if (r.status() != 200) codes.add(r.json().path("error").path("code").asText());
      }
      assertTrue(codes.contains("NODE_RATE_LIMIT"), () -> "12 strategies' shadow orders meet the node's rate: " + codes);
      assertEquals(0, server.orderEventCount(), "nothing in the order journal");
    }
  }

  @Test
  void shadowLiveGivesEveryRealOrderATwinAndTheReportComparesThem(@TempDir Path dir) {
    try (TestServer server = TestServer.inProcess(dir, ConfigFactory.parseString("spark.shadow.live-enabled = true"))) {
      Response single = server.post("/api/private/order/shadow", market("ab-single", "ab-other", "SELL", "0.01"));
      assertEquals(200, single.status(), single::toString);
      assertEquals("request", single.json().path("source").asText());
      assertEquals(404, server.getOrder("ab-single").status(), "a shadow order is never placed");

      int n = 6;
      for (int i = 0; i < n; i++) {
        Response r = server.placeOrder(market("ab-" + i, "ab", i % 2 == 0 ? "BUY" : "SELL", "0.0" + (i + 1)));
        assertEquals("FILLED", r.json().path("status").asText(), r::toString);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> server.get("/api/private/shadow/orders?strategy=ab").json().path("count").asInt() == n);

      // the report's figures, worked out here from the shadow orders and the real orders
      List<Double> shadowSlip = new ArrayList<>(), shadowLat = new ArrayList<>(), realSlip = new ArrayList<>(), realLat = new ArrayList<>();
      for (JsonNode twin : server.get("/api/private/shadow/orders?strategy=ab").json().path("orders")) {
        assertEquals("twin", twin.path("source").asText());
        JsonNode real = server.getOrder(twin.path("twinOf").asText()).json();
        assertEquals(real.path("decisionPrice").asText(), twin.path("decisionPrice").asText(), "the twin decides on the real order's price");
        shadowSlip.add(twin.path("slippageBps").asDouble());
        shadowLat.add(twin.path("latencyMs").asDouble());
        double decision = real.path("decisionPrice").asDouble();
        double avg = real.path("avgPrice").asDouble();
        realSlip.add((real.path("side").asText().equals("BUY") ? avg - decision : decision - avg) / decision * 10_000);
        JsonNode t = real.path("timestamps");
        realLat.add(Duration.between(Instant.parse(t.path("received").asText()), Instant.parse(t.path("acknowledged").asText())).toNanos() / 1e6);
      }
      JsonNode report = server.get("/api/private/shadow/report?strategy=ab").json();
      assertEquals("paper", report.path("mode").asText());
      assertStats(report.path("shadow"), shadowSlip, shadowLat);
      assertStats(report.path("real"), realSlip, realLat);
      await().atMost(Duration.ofSeconds(30)).until(() -> TestServer.metricValue(server.metrics(), "spark_shadow_orders_total", "source=\"twin\"") >= n);
    }
  }

  static void assertStats(JsonNode stats, List<Double> slippage, List<Double> latency) {
    assertEquals(slippage.size(), stats.path("count").asInt(), stats::toString);
    assertEquals(mean(slippage), stats.path("meanSlippageBps").asDouble(), 0.001, stats::toString);
    assertEquals(p95(slippage), stats.path("p95SlippageBps").asDouble(), 0.001, stats::toString);
    assertEquals(mean(latency), stats.path("meanLatencyMs").asDouble(), 0.001, stats::toString);
    assertEquals(p95(latency), stats.path("p95LatencyMs").asDouble(), 0.001, stats::toString);
  }

  static double mean(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
  }

  /** Nearest rank: 6 values -> the 6th smallest (ceil(0.95 x 6) = 6). */
  static double p95(List<Double> v) {
    List<Double> sorted = v.stream().sorted().toList();
    return sorted.get((int) Math.ceil(0.95 * sorted.size()) - 1);
  }
}
