package io.sparkexec.venue;

import static io.sparkexec.testing.TestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import io.sparkexec.testing.TestVenueSim;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #15: a venue account shares its clientOrderIds with every client of its key. An order
 * another client made under our id (here: straight at the simulator, then canceled, as api.md's
 * signed-curl example does) is never taken for ours: the executor's order with that id and other
 * terms ends REJECTED naming the field, nothing is sent twice, the foreign order is untouched.
 */
class VenueConflictIT {

  @TempDir
  static Path dataDir;

  static TestVenueSim sim;
  static TestServer server;
  static String restingBuyPrice;

  @BeforeAll
  static void start() {
    sim = TestVenueSim.inProcess(dataDir.resolve("sim"));
    server = TestServer.inProcess(dataDir.resolve("executor"), ConfigFactory.parseMap(Map.of(
        "spark.venue.kind", "http", "spark.venue.http.url", sim.url())));
    // far under the bid: a foreign BUY rests until canceled
    BigDecimal bid = new BigDecimal(sim.get("/api/v3/ticker/bookTicker?symbol=BTCUSDT").json().path("bidPrice").asText());
    restingBuyPrice = bid.multiply(new BigDecimal("0.5")).setScale(2, RoundingMode.DOWN).toPlainString();
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
    if (sim != null) sim.close();
  }

  /** Another client's LIMIT BUY 0.001 at the resting price under {@code id}, canceled again. */
  static void foreignOrder(String id) {
    Response placed = sim.place(TestVenueSim.limitOrder(id, "BTCUSDT", "BUY", "0.001", restingBuyPrice));
    assertEquals(200, placed.status(), placed::toString);
    assertEquals(200, sim.cancel("BTCUSDT", id).status());
  }

  record Case(String field, Map<String, Object> ours) {}

  @Test
  void anAnswerForOurIdWithOtherTermsIsNotAdopted() {
    List<Case> cases = List.of(
        new Case("side", Map.of("side", "SELL", "type", "LIMIT", "timeInForce", "GTC", "quantity", "0.001", "price", restingBuyPrice)),
        new Case("type", Map.of("side", "BUY", "type", "MARKET", "quantity", "0.001")),
        new Case("quantity", Map.of("side", "BUY", "type", "LIMIT", "timeInForce", "GTC", "quantity", "0.002", "price", restingBuyPrice)),
        new Case("price", Map.of("side", "BUY", "type", "LIMIT", "timeInForce", "GTC", "quantity", "0.001",
            "price", new BigDecimal(restingBuyPrice).subtract(BigDecimal.ONE).toPlainString())));
    for (Case c : cases) {
      String id = "foreign-" + c.field();
      foreignOrder(id);
      double conflictsBefore = conflicts(c.field());
      Object[] body = new Object[4 + 2 * c.ours().size()];
      int i = 0;
      body[i++] = "clientOrderId";
      body[i++] = id;
      body[i++] = "symbol";
      body[i++] = "BTCUSDT";
      for (Map.Entry<String, Object> e : c.ours().entrySet()) {
        body[i++] = e.getKey();
        body[i++] = e.getValue();
      }
      Response r = server.placeOrder(json(body));
      assertEquals(200, r.status(), r::toString);
      JsonNode order = r.json();
      assertEquals("REJECTED", order.path("status").asText(), () -> c.field() + ": " + order);
      String reason = order.path("reason").asText(order.path("rejectReason").asText());
      assertTrue(order.toString().contains("another order under this clientOrderId") && order.toString().contains(c.field() + ": ours"),
          () -> c.field() + ": " + order);
      assertEquals(1, sim.submissions(id), () -> c.field() + ": sent once, by the other client: " + reason);
      JsonNode foreign = sim.query("BTCUSDT", id).json();
      assertEquals("CANCELED", foreign.path("status").asText(), foreign::toString);
      assertEquals(0, new BigDecimal("0.001").compareTo(new BigDecimal(foreign.path("origQty").asText())), foreign::toString);
      // the metrics page is a periodic snapshot
      org.awaitility.Awaitility.await(c.field() + " conflict counted").atMost(java.time.Duration.ofSeconds(30))
          .until(() -> conflicts(c.field()) == conflictsBefore + 1);
      // and the reconciliation report lists it, with both terms
      JsonNode listed = null;
      for (JsonNode conflict : server.get("/api/private/reconciliation").json().path("conflicts")) {
        if (conflict.path("clientOrderId").asText().equals(id)) listed = conflict;
      }
      assertTrue(listed != null, () -> c.field() + ": listed in the reconciliation report");
      assertEquals(c.field(), listed.path("field").asText(), listed.toString());
      assertTrue(!listed.path("ours").asText().equals(listed.path("venues").asText()), listed.toString());
      assertEquals("BTCUSDT", listed.path("symbol").asText(), listed.toString());
    }
  }

  @Test
  void anOrderOfOurOwnIsStillTakenAsOurs() {
    Response r = server.placeOrder(json("clientOrderId", "ours-1", "symbol", "BTCUSDT", "side", "BUY", "type", "MARKET", "quantity", "0.001"));
    assertEquals("FILLED", r.json().path("status").asText(), r::toString);
  }

  static double conflicts(String field) {
    return TestServer.metricValue(server.metrics(), "spark_venue_order_conflicts_total", "field=\"" + field + "\"");
  }
}
