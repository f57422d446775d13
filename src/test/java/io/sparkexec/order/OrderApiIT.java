package io.sparkexec.order;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.io.File;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The order API over real loopback HTTP against an in-process executor on a temp LevelDB journal. */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OrderApiIT {

  @TempDir
  static Path dataDir;

  static TestServer server;

  // instance methods (one instance per class), so OrderApiPostgresIT overrides them to run every test here on PostgreSQL
  @BeforeAll
  void start() {
    server = TestServer.inProcess(dataDir);
  }

  @AfterAll
  void stop() {
    if (server != null) server.close();
  }

  private static String market(String id, String symbol, String side, String quantity) {
    return json("clientOrderId", id, "symbol", symbol, "side", side, "type", "MARKET", "quantity", quantity);
  }

  /** A BUY far below the market: it rests. */
  private static String resting(String id, String symbol, String price, String quantity, String strategy) {
    return json("clientOrderId", id, "symbol", symbol, "side", "BUY", "type", "LIMIT", "quantity", quantity, "price", price,
        "timeInForce", "GTC", "strategy", strategy);
  }

  @Test
  void marketOrderIsFilledWithFillsFeesAndTimestamps() {
    Response r = server.placeOrder(json("clientOrderId", "api-mkt-1", "symbol", "BTCUSDT", "side", "BUY", "type", "MARKET",
        "quantity", "0.001", "strategy", "s-mkt"));
    assertEquals(200, r.status(), r::toString);
    assertTrue(r.header("Content-Type").orElse("").startsWith("application/json"));
    JsonNode o = r.json();
    assertEquals("api-mkt-1", o.path("clientOrderId").asText());
    assertEquals("FILLED", o.path("status").asText());
    assertEquals("IOC", o.path("timeInForce").asText());
    assertEquals(0, new BigDecimal(o.path("executedQty").asText()).compareTo(new BigDecimal("0.001")));
    assertFalse(o.path("venueOrderId").asText("").isEmpty(), "venueOrderId");
    BigDecimal decision = new BigDecimal(o.path("decisionPrice").asText());
    assertTrue(decision.signum() > 0, "decisionPrice");

    JsonNode fills = o.path("fills");
    assertEquals(1, fills.size(), fills::toString);
    JsonNode fill = fills.get(0);
    assertFalse(fill.path("tradeId").asText("").isEmpty(), "tradeId");
    BigDecimal price = new BigDecimal(fill.path("price").asText());
    BigDecimal qty = new BigDecimal(fill.path("quantity").asText());
    assertEquals(0, qty.compareTo(new BigDecimal("0.001")));
    assertTrue(price.signum() > 0, "fill price");
    // fee-rate 0.001 of the notional, in the quote asset
    BigDecimal fee = new BigDecimal(fill.path("fee").asText());
    assertEquals(0, fee.compareTo(price.multiply(qty).multiply(new BigDecimal("0.001")).setScale(8, RoundingMode.HALF_UP)), fill::toString);
    assertEquals("USDT", fill.path("feeAsset").asText());
    assertEquals(0, new BigDecimal(o.path("avgPrice").asText()).compareTo(price));

    JsonNode t = o.path("timestamps");
    Instant received = Instant.parse(t.path("received").asText());
    Instant accepted = Instant.parse(t.path("accepted").asText());
    Instant sent = Instant.parse(t.path("sent").asText());
    Instant acknowledged = Instant.parse(t.path("acknowledged").asText());
    Instant closed = Instant.parse(t.path("closed").asText());
    assertNotNull(Instant.parse(t.path("firstFill").asText()));
    assertNotNull(Instant.parse(t.path("lastFill").asText()));
    assertFalse(accepted.isBefore(received), t::toString);
    assertFalse(sent.isBefore(accepted), t::toString);
    assertFalse(acknowledged.isBefore(sent), t::toString);
    assertFalse(closed.isBefore(received), t::toString);

    // what the place call answered is what the order is
    Response again = server.getOrder("api-mkt-1");
    assertEquals(200, again.status());
    assertEquals(o, again.json());
  }

  @Test
  void restingLimitOrderIsAcknowledgedAndListedWithSymbolAndStrategyFilters() {
    Response btc1 = server.placeOrder(resting("api-rest-btc-1", "BTCUSDT", "1000.00", "0.02", "alpha"));
    Response btc2 = server.placeOrder(resting("api-rest-btc-2", "BTCUSDT", "1001.00", "0.02", "beta"));
    Response eth = server.placeOrder(resting("api-rest-eth-1", "ETHUSDT", "100.00", "0.1", "alpha"));
    for (Response r : List.of(btc1, btc2, eth)) {
      assertEquals(200, r.status(), r::toString);
      assertEquals("ACKNOWLEDGED", r.json().path("status").asText());
      assertEquals(0, new BigDecimal(r.json().path("executedQty").asText()).signum());
      assertEquals(0, r.json().path("fills").size());
    }

    assertEquals(Set.of("api-rest-btc-1", "api-rest-btc-2"), openIds("?symbol=BTCUSDT", "api-rest-"));
    assertEquals(Set.of("api-rest-btc-1", "api-rest-eth-1"), openIds("?strategy=alpha", "api-rest-"));
    assertEquals(Set.of("api-rest-btc-1"), openIds("?symbol=BTCUSDT&strategy=alpha", "api-rest-"));
    assertEquals(Set.of("api-rest-btc-1", "api-rest-btc-2", "api-rest-eth-1"), openIds("", "api-rest-"));

    JsonNode listing = server.get("/api/private/open-orders?symbol=ETHUSDT&strategy=alpha").json();
    assertEquals(listing.path("orders").size(), listing.path("count").asInt());
    JsonNode listed = listing.path("orders").get(0);
    assertEquals(eth.json(), listed, "open-orders shows the same order as the place call");
  }

  private static Set<String> openIds(String query, String prefix) {
    Response r = server.get("/api/private/open-orders" + query);
    assertEquals(200, r.status(), r::toString);
    Set<String> ids = new HashSet<>();
    for (JsonNode o : r.json().path("orders")) {
      String id = o.path("clientOrderId").asText();
      if (id.startsWith(prefix)) ids.add(id);
    }
    return ids;
  }

  @Test
  void respTypeAcceptedAnswers202EarlyAndResultAnswers200Final() {
    Response early = server.placeOrder(json("clientOrderId", "api-resp-acc", "symbol", "BTCUSDT", "side", "BUY", "type", "MARKET",
        "quantity", "0.001", "respType", "ACCEPTED"));
    assertEquals(202, early.status(), early::toString);
    assertEquals("api-resp-acc", early.json().path("clientOrderId").asText());
    assertEquals("ACCEPTED", early.json().path("status").asText(), "answered once journaled, before the venue");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertEquals("FILLED", server.getOrder("api-resp-acc").json().path("status").asText()));

    Response result = server.placeOrder(json("clientOrderId", "api-resp-res", "symbol", "BTCUSDT", "side", "SELL", "type", "MARKET",
        "quantity", "0.001", "respType", "RESULT"));
    assertEquals(200, result.status(), result::toString);
    assertEquals("FILLED", result.json().path("status").asText());

    // the query parameter works too; an IOC limit that does not cross ends EXPIRED, a final state
    Response expired = server.post("/api/private/order?respType=RESULT", json("clientOrderId", "api-resp-ioc", "symbol", "BTCUSDT",
        "side", "BUY", "type", "LIMIT", "quantity", "0.001", "price", "10000.00", "timeInForce", "IOC"));
    assertEquals(200, expired.status(), expired::toString);
    assertEquals("EXPIRED", expired.json().path("status").asText());
    assertEquals(0, expired.json().path("fills").size());
    assertNotNull(expired.json().path("timestamps").path("closed").textValue());
  }

  @Test
  void sameClientOrderIdAndBodyReplaysWithoutASecondVenueCall() {
    // SOLUSDT is used by no other test of this class: its batch flush count, once steady, is this test's to compare
    String body = market("api-idem-1", "SOLUSDT", "BUY", "0.1");
    Response first = server.placeOrder(body);
    assertEquals(200, first.status(), first::toString);
    assertEquals("FILLED", first.json().path("status").asText());
    await("first flush counted").atMost(Duration.ofSeconds(30)).until(() -> solFlushes() >= 1.0);
    // the count this test owns: whatever else flushed SOLUSDT in this JVM has settled (steady over two metric ticks)
    double[] owned = {solFlushes()};
    await("flush count steady").during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(30)).until(() -> {
      double now = solFlushes();
      boolean steady = now == owned[0];
      owned[0] = now;
      return steady;
    });

    Response replay = server.placeOrder(body);
    assertEquals(200, replay.status(), replay::toString);
    assertEquals(first.json(), replay.json(), "the replay answers the same order (venueOrderId, fills, timestamps)");
    // over more than two metric ticks the venue sees no second submit
    await("no second flush").during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(10)).until(() -> solFlushes() == owned[0]);
    assertEquals(first.json(), server.getOrder("api-idem-1").json());
  }

  private static double solFlushes() {
    return TestServer.metricValue(server.metrics(), "spark_batch_flush_total", "symbol=\"SOLUSDT\"");
  }

  @Test
  void sameClientOrderIdWithAnotherBodyIsAConflictShowingTheExistingOrder() {
    Response first = server.placeOrder(market("api-conflict-1", "BTCUSDT", "BUY", "0.001"));
    assertEquals(200, first.status(), first::toString);

    Response conflict = server.placeOrder(market("api-conflict-1", "BTCUSDT", "SELL", "0.001"));
    assertEquals(409, conflict.status(), conflict::toString);
    JsonNode error = conflict.json().path("error");
    assertEquals("IDEMPOTENCY_CONFLICT", error.path("code").asText());
    assertEquals("clientOrderId", error.path("field").asText());
    JsonNode existing = error.path("details").path("existing");
    assertEquals("api-conflict-1", existing.path("clientOrderId").asText());
    assertEquals("BUY", existing.path("side").asText());
    assertEquals(first.json(), existing);
    assertEquals("BUY", server.getOrder("api-conflict-1").json().path("side").asText(), "the existing order is untouched");
  }

  @Test
  void withoutClientOrderIdTheServerAssignsOne() {
    Response r = server.placeOrder(json("symbol", "BTCUSDT", "side", "BUY", "type", "MARKET", "quantity", "0.001"));
    assertEquals(200, r.status(), r::toString);
    String id = r.json().path("clientOrderId").asText();
    assertTrue(id.matches("[A-Za-z0-9._:/-]{1,36}"), id);
    Response again = server.getOrder(id);
    assertEquals(200, again.status());
    assertEquals(r.json(), again.json());

    Response other = server.placeOrder(json("symbol", "BTCUSDT", "side", "BUY", "type", "MARKET", "quantity", "0.001"));
    assertFalse(id.equals(other.json().path("clientOrderId").asText()), "each order gets its own id");
  }

  @Test
  void unknownOrderIs404Json() {
    Response r = server.getOrder("api-no-such-order");
    assertEquals(404, r.status(), r::toString);
    assertTrue(r.header("Content-Type").orElse("").startsWith("application/json"));
    assertEquals("ORDER_NOT_FOUND", r.json().path("error").path("code").asText());
    assertEquals("clientOrderId", r.json().path("error").path("field").asText());
    assertEquals(404, server.delete("/api/private/order/api-no-such-order").status());
  }

  @Test
  void cancelOfARestingOrderIsFinalAndASecondCancelIsAConflict() {
    assertEquals(200, server.placeOrder(resting("api-cancel-1", "BTCUSDT", "1000.00", "0.02", "s-cancel")).status());

    Response canceled = server.delete("/api/private/order/api-cancel-1");
    assertEquals(200, canceled.status(), canceled::toString);
    assertEquals("CANCELED", canceled.json().path("status").asText());
    assertEquals("canceled by client", canceled.json().path("reason").asText());
    assertNotNull(canceled.json().path("timestamps").path("closed").textValue());

    Response again = server.delete("/api/private/order/api-cancel-1");
    assertEquals(409, again.status(), again::toString);
    assertEquals("ORDER_NOT_OPEN", again.json().path("error").path("code").asText());
    assertEquals("CANCELED", again.json().path("error").path("details").path("order").path("status").asText());

    assertEquals("CANCELED", server.getOrder("api-cancel-1").json().path("status").asText());
    assertEquals(Set.of(), openIds("?strategy=s-cancel", "api-cancel-"));
  }

  @Test
  void privateEndpointsNeedAKeyAndPublicOnesDoNot() {
    String body = market("api-auth-1", "BTCUSDT", "BUY", "0.001");
    List<HttpRequest.Builder> privateCalls = List.of(
        HttpRequest.newBuilder(server.uri("/api/private/order")).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)),
        HttpRequest.newBuilder(server.uri("/api/private/order/api-auth-1")).GET(),
        HttpRequest.newBuilder(server.uri("/api/private/order/api-auth-1")).DELETE(),
        HttpRequest.newBuilder(server.uri("/api/private/open-orders")).GET());
    for (HttpRequest.Builder call : privateCalls) {
      Response none = server.send(call.copy().build());
      assertEquals(401, none.status(), () -> "no key: " + call.build().uri() + " " + none);
      assertEquals("UNAUTHORIZED", none.json().path("error").path("code").asText());
      assertTrue(none.header("WWW-Authenticate").isPresent());
      Response wrong = server.send(call.copy().header("X-API-Key", "not-a-key").build());
      assertEquals(401, wrong.status(), () -> "wrong key: " + call.build().uri() + " " + wrong);
    }
    assertEquals(404, server.getOrder("api-auth-1").status(), "the unauthenticated place left nothing behind");

    for (String path : List.of("/api/public/health", "/api/public/ready", "/api/public/metrics/prom")) {
      assertEquals(200, server.publicGet(path).status(), path);
    }
  }

  @Test
  void largeResponsesAreGzippedOnlyWhenTheClientAsks() {
    int n = 40;
    for (int i = 0; i < n; i++) {
      Response r = server.placeOrder(resting("api-gz-" + i, "BTCUSDT", "1000.00", "0.02", "s-gzip"));
      assertEquals(200, r.status(), r::toString);
    }
    Response gz = server.send(server.request("/api/private/open-orders?strategy=s-gzip").header("Accept-Encoding", "gzip").GET().build());
    assertEquals(200, gz.status());
    assertEquals("gzip", gz.header("Content-Encoding").orElse("identity"));
    JsonNode unzipped = gz.json();
    assertEquals(n, unzipped.path("count").asInt());
    assertTrue(gz.raw().length < gz.text().getBytes(StandardCharsets.UTF_8).length / 2, "gzip shrinks a repetitive listing");

    Response plain = server.get("/api/private/open-orders?strategy=s-gzip");
    assertEquals(200, plain.status());
    assertEquals("identity", plain.header("Content-Encoding").orElse("identity"));
    assertEquals(unzipped, plain.json());
  }

  @Test
  void prometheusPageHasTheOrderPathMetricsWithTemplatedRoutes() {
    Response placed = server.placeOrder(market("api-metrics-1", "BTCUSDT", "BUY", "0.001"));
    assertEquals(200, placed.status(), placed::toString);
    assertEquals(200, server.getOrder("api-metrics-1").status());

    await("order path metrics after a tick").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      String page = server.metrics();
      assertTrue(Pattern.compile("(?m)^spark_http_request_duration_seconds_bucket\\{.*route=\"/api/private/order\".*\\} ").matcher(page).find(),
          "request duration bucket for the place route");
      assertTrue(page.contains("route=\"/api/private/order/{clientOrderId}\""), "GET by id is labelled with its template");
      assertTrue(Pattern.compile("(?m)^spark_order_place_ack_duration_seconds_bucket").matcher(page).find(), "place-to-ack histogram");
      assertTrue(TestServer.metricValue(page, "spark_orders_final_total", "state=\"FILLED\"") >= 1, "FILLED counter");
      assertTrue(TestServer.metricValue(page, "spark_batch_flush_total", "symbol=\"BTCUSDT\"") >= 1, "BTCUSDT flushes");
      assertTrue(Pattern.compile("(?m)^spark_batch_size_bucket\\{.*symbol=\"BTCUSDT\"").matcher(page).find(), "batch size histogram");
    });

    // every route label is a template: literal lower-case segments (a file name such as openapi.json
    // included) or {placeholders}, never an id (the registry is JVM-wide, so routes other ITs called are checked too)
    Pattern template = Pattern.compile("unmatched|(/([a-z][a-z.-]*|\\{[A-Za-z]+\\}))+");
    Matcher routes = Pattern.compile("route=\"([^\"]*)\"").matcher(server.metrics());
    List<String> seen = new ArrayList<>();
    while (routes.find()) seen.add(routes.group(1));
    assertTrue(seen.contains("/api/private/order/{clientOrderId}"), "GET by id is labelled with its template");
    for (String route : seen) assertTrue(template.matcher(route).matches(), () -> "route label is not a template: " + route);
  }

  @Test
  void prometheusPagePassesPromtool() throws Exception {
    String promtool = onPath("promtool");
    if (promtool == null) {
      String message = "promtool is not on PATH: `promtool check metrics` skipped (install the Debian package prometheus)";
      if ("true".equals(System.getenv("CI"))) throw new AssertionError(message + "; CI=true requires it");
      System.out.println(message);
      Assumptions.assumeTrue(false, message);
    }
    assertEquals(200, server.placeOrder(market("api-promtool-1", "BTCUSDT", "BUY", "0.001")).status());
    await().atMost(Duration.ofSeconds(30)).until(() -> server.metrics().contains("spark_orders_final_total"));
    String page = server.metrics();

    Process p = new ProcessBuilder(promtool, "check", "metrics").redirectErrorStream(true).start();
    try (var in = p.getOutputStream()) {
      in.write(page.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
    assertEquals(0, p.exitValue(), () -> "promtool check metrics:\n" + out);
  }

  private static String onPath(String name) throws IOException {
    String path = System.getenv("PATH");
    if (path == null) return null;
    for (String dir : path.split(File.pathSeparator)) {
      File f = new File(dir, name);
      if (f.isFile() && f.canExecute()) return f.getCanonicalPath();
    }
    return null;
  }
}
