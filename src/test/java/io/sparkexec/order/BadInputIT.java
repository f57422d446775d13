package io.sparkexec.order;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of malformed request gets its status and a JSON error naming the code and the
 * field, and leaves nothing in the journal.
 */
@ExtendWith(LogCapturingExtension.class)
class BadInputIT {

  @TempDir
  static Path dataDir;

  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.inProcess(dataDir);
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  /**
   * One malformed request. {@code clientOrderId}, when the body carries a valid one, must still
   * be unknown afterwards; {@code field} null means the error names no field.
   */
  record Case(String method, String path, String contentType, String body, boolean chunked, int status, String code, String field,
      String clientOrderId) {}

  private static final String ORDER = "/api/private/order";

  private static Named<Case> post(String name, String body, int status, String code, String field) {
    String id = body.contains("\"clientOrderId\":\"bad-") ? body.replaceAll(".*\"clientOrderId\":\"(bad-[^\"]*)\".*", "$1") : null;
    return Named.of(name, new Case("POST", ORDER, "application/json", body, false, status, code, field, id));
  }

  /** A valid MARKET order with {@code keyValues} put over it (a null value removes the key). */
  private static String order(String id, Object... keyValues) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("clientOrderId", id);
    m.put("symbol", "BTCUSDT");
    m.put("side", "BUY");
    m.put("type", "MARKET");
    m.put("quantity", "0.001");
    for (int i = 0; i < keyValues.length; i += 2) {
      if (keyValues[i + 1] == null) m.remove((String) keyValues[i]);
      else m.put((String) keyValues[i], keyValues[i + 1]);
    }
    Object[] flat = new Object[m.size() * 2];
    int i = 0;
    for (Map.Entry<String, Object> e : m.entrySet()) {
      flat[i++] = e.getKey();
      flat[i++] = e.getValue();
    }
    return json(flat);
  }

  private static String limit(String id, String quantity, String price) {
    return order(id, "type", "LIMIT", "quantity", quantity, "price", price, "timeInForce", "GTC");
  }

  static Stream<Named<Case>> malformedRequests() {
    String big = order("bad-big", "strategy", "x".repeat(70_000));
    return Stream.of(
        // not a JSON object
        post("malformed JSON", "{not json", 400, "MALFORMED_JSON", "body"),
        post("truncated JSON", "{\"clientOrderId\":\"bad-trunc\",\"symbol\":", 400, "MALFORMED_JSON", "symbol"),
        post("trailing tokens", order("bad-trailing") + " {}", 400, "MALFORMED_JSON", "body"),
        post("empty body", "", 400, "NOT_AN_OBJECT", null),
        post("array", "[1,2,3]", 400, "NOT_AN_OBJECT", null),
        post("string", "\"BTCUSDT\"", 400, "NOT_AN_OBJECT", null),
        post("null", "null", 400, "NOT_AN_OBJECT", null),
        // missing fields
        post("missing symbol", order("bad-no-symbol", "symbol", null), 400, "REQUIRED", "symbol"),
        post("missing side", order("bad-no-side", "side", null), 400, "REQUIRED", "side"),
        post("missing type", order("bad-no-type", "type", null), 400, "REQUIRED", "type"),
        post("missing quantity", order("bad-no-qty", "quantity", null), 400, "REQUIRED", "quantity"),
        post("null quantity", order("bad-null-qty").replace("\"0.001\"", "null"), 400, "REQUIRED", "quantity"),
        post("LIMIT without price", order("bad-limit-no-price", "type", "LIMIT"), 400, "REQUIRED", "price"),
        // ill-typed or out-of-vocabulary fields
        post("symbol not a string", order("bad-sym-num", "symbol", 5), 400, "INVALID_TYPE", "symbol"),
        post("symbol lower case", order("bad-sym-fmt", "symbol", "btc-usdt"), 400, "INVALID_FORMAT", "symbol"),
        post("side unknown", order("bad-side", "side", "HOLD"), 400, "INVALID_VALUE", "side"),
        post("side a number", order("bad-side-num", "side", 1), 400, "INVALID_VALUE", "side"),
        post("type unknown", order("bad-type", "type", "STOP"), 400, "INVALID_VALUE", "type"),
        post("timeInForce unknown", limit("bad-tif", "0.001", "60000.00").replace("\"GTC\"", "\"DAY\""), 400, "INVALID_VALUE", "timeInForce"),
        post("MARKET with GTC", order("bad-mkt-gtc", "timeInForce", "GTC"), 400, "NOT_ALLOWED", "timeInForce"),
        post("MARKET with price", order("bad-mkt-price", "price", "65000.00"), 400, "NOT_ALLOWED", "price"),
        post("respType unknown", order("bad-resp", "respType", "SOON"), 400, "INVALID_VALUE", "respType"),
        post("clientOrderId with a space", order("bad id"), 400, "INVALID_FORMAT", "clientOrderId"),
        post("clientOrderId too long", order("bad-" + "x".repeat(40)), 400, "INVALID_FORMAT", "clientOrderId"),
        post("clientOrderId a number", order("bad-num").replace("\"bad-num\"", "42"), 400, "INVALID_TYPE", "clientOrderId"),
        // dot segments: a client drops them from GET/DELETE paths, so no one could reach the order
        post("clientOrderId a dot", order("."), 400, "INVALID_FORMAT", "clientOrderId"),
        post("clientOrderId two dots", order(".."), 400, "INVALID_FORMAT", "clientOrderId"),
        post("strategy too long", order("bad-strategy", "strategy", "s".repeat(65)), 400, "INVALID_FORMAT", "strategy"),
        post("unknown field", order("bad-unknown-field", "leverage", "10"), 400, "UNKNOWN_FIELD", "leverage"),
        // numbers
        post("quantity a boolean", order("bad-qty-bool", "quantity", true), 400, "INVALID_DECIMAL", "quantity"),
        post("quantity words", order("bad-qty-words", "quantity", "one"), 400, "INVALID_DECIMAL", "quantity"),
        post("quantity exponent string", order("bad-qty-exp", "quantity", "1e-3"), 400, "INVALID_DECIMAL", "quantity"),
        post("quantity 19 decimals", order("bad-qty-prec", "quantity", "0.0000000000000000001"), 400, "INVALID_DECIMAL", "quantity"),
        post("quantity zero", order("bad-qty-zero", "quantity", "0"), 400, "MUST_BE_POSITIVE", "quantity"),
        post("quantity negative", order("bad-qty-neg", "quantity", "-1"), 400, "MUST_BE_POSITIVE", "quantity"),
        post("quantity negative number", order("bad-qty-negnum", "quantity", -0.5), 400, "MUST_BE_POSITIVE", "quantity"),
        post("price zero", limit("bad-price-zero", "0.001", "0"), 400, "MUST_BE_POSITIVE", "price"),
        post("price negative", limit("bad-price-neg", "0.001", "-65000.00"), 400, "MUST_BE_POSITIVE", "price"),
        post("price not a decimal", limit("bad-price-nan", "0.001", "NaN"), 400, "INVALID_DECIMAL", "price"),
        // venue rules (422)
        post("unknown symbol", order("bad-rule-symbol", "symbol", "NOPEUSDT"), 422, "UNKNOWN_SYMBOL", "symbol"),
        post("below min quantity", order("bad-rule-minqty", "quantity", "0.000001"), 422, "MIN_QTY", "quantity"),
        post("above max quantity", order("bad-rule-maxqty", "quantity", "9001"), 422, "MAX_QTY", "quantity"),
        post("off the step size", order("bad-rule-step", "quantity", "0.000015"), 422, "STEP_SIZE", "quantity"),
        post("off the tick size", limit("bad-rule-tick", "0.001", "60000.005"), 422, "TICK_SIZE", "price"),
        post("below min notional (limit)", limit("bad-rule-notional", "0.00001", "1000.00"), 422, "MIN_NOTIONAL", "quantity"),
        post("below min notional (market)", order("bad-rule-notional-mkt", "quantity", "0.00005"), 422, "MIN_NOTIONAL", "quantity"),
        // transport-level
        Named.of("body over the limit (Content-Length)",
            new Case("POST", ORDER, "application/json", big, false, 413, "PAYLOAD_TOO_LARGE", "body", "bad-big")),
        Named.of("body over the limit (chunked)",
            new Case("POST", ORDER, "application/json", big, true, 413, "PAYLOAD_TOO_LARGE", "body", "bad-big")),
        Named.of("text/plain", new Case("POST", ORDER, "text/plain", order("bad-ctype"), false, 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type", "bad-ctype")),
        Named.of("no content type", new Case("POST", ORDER, null, order("bad-no-ctype"), false, 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type", "bad-no-ctype")),
        Named.of("PUT order", new Case("PUT", ORDER, "application/json", order("bad-put"), false, 405, "METHOD_NOT_ALLOWED", null, "bad-put")),
        Named.of("POST to an order id", new Case("POST", ORDER + "/bad-post-id", "application/json", order("bad-post-id"), false, 405,
            "METHOD_NOT_ALLOWED", null, "bad-post-id")),
        Named.of("PUT open-orders", new Case("PUT", "/api/private/open-orders", null, null, false, 405, "METHOD_NOT_ALLOWED", null, null)),
        Named.of("unknown path", new Case("POST", "/api/private/orders", "application/json", order("bad-path"), false, 404, "NOT_FOUND", null,
            "bad-path")),
        Named.of("unknown public path", new Case("GET", "/api/public/nope", null, null, false, 404, "NOT_FOUND", null, null)),
        // ids no order can have: refused as such, not looked up and not echoed
        Named.of("GET an id with CR LF", new Case("GET", ORDER + "/bad%0D%0Aevent=forged", null, null, false, 400, "INVALID_FORMAT",
            "clientOrderId", null)),
        Named.of("DELETE an id with NUL", new Case("DELETE", ORDER + "/bad%00id", null, null, false, 400, "INVALID_FORMAT", "clientOrderId", null)),
        Named.of("GET a 2000-character id", new Case("GET", ORDER + "/" + "x".repeat(2000), null, null, false, 400, "INVALID_FORMAT",
            "clientOrderId", null)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedRequests")
  void malformedRequestIsRefusedWithAJsonErrorAndNothingJournaled(Case c) {
    long eventsBefore = server.orderEventCount();

    HttpRequest.Builder request = server.request(c.path());
    if (c.contentType() != null) request.header("Content-Type", c.contentType());
    HttpRequest.BodyPublisher body = c.body() == null ? HttpRequest.BodyPublishers.noBody()
        : c.chunked() ? HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(c.body().getBytes(StandardCharsets.UTF_8)))
        : HttpRequest.BodyPublishers.ofString(c.body());
    Response r = server.send(request.method(c.method(), body).build());

    assertEquals(c.status(), r.status(), r::toString);
    assertTrue(r.header("Content-Type").orElse("").startsWith("application/json"), () -> "JSON error body: " + r.headers().map());
    JsonNode error = r.json().path("error");
    assertEquals(c.code(), error.path("code").asText(), r::toString);
    if (c.field() == null) assertTrue(error.path("field").isMissingNode(), r::toString);
    else assertEquals(c.field(), error.path("field").asText(), r::toString);
    assertFalse(error.path("message").asText("").isBlank(), "a message for people");
    if (c.status() == 405) assertTrue(r.header("Allow").filter(a -> !a.isBlank()).isPresent(), () -> "405 names the allowed methods: " + r.headers().map());

    if (c.path().contains("forged")) assertFalse(r.text().contains("forged"), () -> "the id is not echoed: " + r);
    // an id no order can have is refused at GET too (400); any other must be unknown
    if (c.clientOrderId() != null) {
      assertEquals(OrderRequest.isClientOrderId(c.clientOrderId()) ? 404 : 400, server.getOrder(c.clientOrderId()).status(), "order was not created");
    }
    assertEquals(eventsBefore, server.orderEventCount(), "the journal gained no order event");
  }

  /** The counter the table relies on does see a valid order (so "unchanged" above means something). */
  @Test
  void aValidOrderIsJournaledAndCounted() {
    long before = server.orderEventCount();
    Response r = server.placeOrder(limit("ok-control-1", "0.001", "10000.00"));
    assertEquals(200, r.status(), r::toString);
    assertEquals("ACKNOWLEDGED", r.json().path("status").asText());
    assertEquals(before + 2, server.orderEventCount(), "accepted + acknowledged");
  }

  @Test
  void secondConcurrentOrderOverTheInFlightLimitGets429WithRetryAfter(@TempDir Path dir) throws Exception {
    // one order in flight at most; the venue takes 20 s to acknowledge, so the first stays in flight
    // until its 10 s response timeout
    try (TestServer slow = TestServer.inProcess(dir, ConfigFactory.parseMap(Map.of(
        "spark.http.max-in-flight-orders", 1,
        "spark.venue.sim.ack-latency-ms", 20_000,
        // a venue this slow is the point here, not a fault: the breaker's backstop must outwait it
        "spark.venue.breaker.call-timeout", "60 s",
        "spark.http.order-response-timeout", "10 s")))) {
      CompletableFuture<Response> first = CompletableFuture.supplyAsync(() -> slow.placeOrder(order("slow-1")));
      // journaled (ACCEPTED) means its place call is in flight
      await("first order journaled").atMost(Duration.ofSeconds(30)).until(() -> slow.getOrder("slow-1").status() == 200);
      assertFalse(first.isDone(), "the first order is still waiting for its ack");

      Response second = slow.placeOrder(order("slow-2"));
      assertEquals(429, second.status(), second::toString);
      assertEquals("TOO_MANY_IN_FLIGHT", second.json().path("error").path("code").asText());
      assertTrue(second.header("Retry-After").isPresent(), () -> "Retry-After: " + second.headers().map());
      assertEquals(404, slow.getOrder("slow-2").status(), "the refused order was not journaled");

      Response firstAnswer = first.get();
      assertEquals(202, firstAnswer.status(), firstAnswer::toString);
      assertEquals("ACCEPTED", firstAnswer.json().path("status").asText());
      // the limit frees up once the first call has answered
      Response third = slow.placeOrder(order("slow-3", "respType", "ACCEPTED"));
      assertEquals(202, third.status(), third::toString);
    }
  }
}
