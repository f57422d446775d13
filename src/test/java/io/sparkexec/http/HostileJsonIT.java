package io.sparkexec.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every endpoint that takes a JSON body, against every kind of hostile JSON (issue #14 F5, F6,
 * F18, U3): each is refused 4xx with its code and the field where the reader stopped, and nothing
 * changed (no order event journaled; orders, shadow orders, queue, guardrails, audit, chaos and
 * snapshots read the same before and after). The WebSocket control messages are HostileFeedIT's.
 */
@ExtendWith(LogCapturingExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileJsonIT {

  private static final String ADMIN_KEY = "admin-dev-key";

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
   * An endpoint with a body template: {@code @} stands for the value of {@code target} (its path
   * as our 400s name it), which each hostile row replaces.
   */
  record Endpoint(String method, String path, String key, String template, String target) {
    String body(String value) {
      return template.replace("@", value);
    }

    /** The target's key a second time in the same object, as in {"quantity":"0.001","quantity":"5"}. */
    String duplicated() {
      String name = target.substring(target.lastIndexOf('.') + 1);
      return body("\"0.001\",\"" + name + "\":\"5\"");
    }
  }

  private static final String ORDER = "{\"clientOrderId\":\"hostile-1\",\"symbol\":\"BTCUSDT\",\"side\":\"BUY\",\"type\":\"MARKET\",\"quantity\":@}";

  static final List<Endpoint> ENDPOINTS = List.of(
      new Endpoint("POST", "/api/private/order", TestServer.TRADER_KEY, ORDER, "quantity"),
      new Endpoint("POST", "/api/private/order/shadow", TestServer.TRADER_KEY, ORDER, "quantity"),
      new Endpoint("POST", "/api/private/kill-switch", ADMIN_KEY, "{\"state\":\"HALTED\",\"reason\":@}", "reason"),
      new Endpoint("PUT", "/api/private/risk/limits", ADMIN_KEY, "{\"limit\":\"maxOrderQty\",\"value\":@,\"reason\":\"hostile\"}", "value"),
      new Endpoint("POST", "/api/private/heartbeat", TestServer.TRADER_KEY, "{\"strategy\":\"hostile\",\"windowMs\":@}", "windowMs"),
      new Endpoint("POST", "/api/private/queue/enqueue", TestServer.TRADER_KEY,
          "{\"job\":\"hostile-1\",\"data\":{\"symbol\":\"BTCUSDT\",\"side\":\"BUY\",\"type\":\"MARKET\",\"quantity\":@}}", "data.quantity"),
      new Endpoint("POST", "/api/private/queue/enqueue", TestServer.TRADER_KEY,
          "{\"jobs\":[{\"job\":\"hostile-2\",\"data\":{}},{\"job\":\"hostile-3\",\"data\":{\"quantity\":@}}]}", "jobs[1].data.quantity"),
      new Endpoint("POST", "/api/private/queue/ack", TestServer.TRADER_KEY, "{\"job\":\"hostile-1\",\"claim\":@}", "claim"),
      new Endpoint("POST", "/api/private/queue/nack", TestServer.TRADER_KEY, "{\"job\":\"hostile-1\",\"claim\":\"c\",\"error\":@}", "error"),
      new Endpoint("POST", "/api/private/snapshot", ADMIN_KEY, "{\"name\":\"hostile\",\"data\":{\"px\":@}}", "data.px"),
      new Endpoint("POST", "/api/private/chaos", ADMIN_KEY, "{\"httpErrorPct\":@,\"reason\":\"hostile\"}", "httpErrorPct"),
      new Endpoint("POST", "/api/private/chaos/toggle", ADMIN_KEY, "{\"httpErrorPct\":@,\"reason\":\"hostile\"}", "httpErrorPct"),
      new Endpoint("POST", "/api/private/chaos/off", ADMIN_KEY, "{\"reason\":@}", "reason"));

  /** One hostile request: the bytes, the Content-Type, what must come back; {@code fieldPrefix} true when the field starts so. */
  record Case(Endpoint endpoint, byte[] body, String contentType, int status, String code, String field, boolean fieldPrefix) {}

  static Stream<Named<Case>> hostile() {
    List<Named<Case>> cases = new ArrayList<>();
    String json = "application/json";
    for (Endpoint e : ENDPOINTS) {
      String at = e.method() + " " + e.path() + " (" + e.target() + "): ";
      String valid = e.body("\"1\"");
      cases.add(Named.of(at + "duplicate key", new Case(e, utf8(e.duplicated()), json, 400, "DUPLICATE_KEY", e.target(), false)));
      cases.add(Named.of(at + "exponent overflow", new Case(e, utf8(e.body("1e2147483648")), json, 400, "NUMBER_OUT_OF_RANGE", e.target(), false)));
      cases.add(Named.of(at + "huge exponent", new Case(e, utf8(e.body("1e999999999")), json, 400, "NUMBER_OUT_OF_RANGE", e.target(), false)));
      cases.add(Named.of(at + "1,201-digit number", new Case(e, utf8(e.body("9".repeat(1201))), json, 400, "NUMBER_TOO_LONG", e.target(), false)));
      cases.add(Named.of(at + "deep nesting", new Case(e, utf8(e.body("[".repeat(200) + "]".repeat(200))), json, 400, "NESTING_TOO_DEEP",
          e.target() + "[0]", true)));
      cases.add(Named.of(at + "UTF-8 BOM", new Case(e, bom(valid), json, 415, "UNSUPPORTED_CHARSET", "body", false)));
      cases.add(Named.of(at + "UTF-16 body", new Case(e, valid.getBytes(StandardCharsets.UTF_16LE), json, 415, "UNSUPPORTED_CHARSET", "body", false)));
      cases.add(Named.of(at + "charset=ISO-8859-1", new Case(e, valid.getBytes(StandardCharsets.ISO_8859_1), "application/json; charset=ISO-8859-1",
          415, "UNSUPPORTED_CHARSET", "Content-Type", false)));
      cases.add(Named.of(at + "trailing tokens", new Case(e, utf8(valid + " {}"), json, 400, "MALFORMED_JSON", "body", false)));
      cases.add(Named.of(at + "not JSON", new Case(e, utf8("{not json"), json, 400, "MALFORMED_JSON", "body", false)));
      cases.add(Named.of(at + "text/plain", new Case(e, utf8(valid), "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type", false)));
    }
    return cases.stream();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] bom(String s) {
    byte[] text = utf8(s);
    byte[] b = new byte[text.length + 3];
    b[0] = (byte) 0xEF;
    b[1] = (byte) 0xBB;
    b[2] = (byte) 0xBF;
    System.arraycopy(text, 0, b, 3, text.length);
    return b;
  }

  @Order(1)
  @ParameterizedTest(name = "{0}")
  @MethodSource("hostile")
  void hostileJsonIsRefusedNamingTheRuleAndTheFieldAndChangesNothing(Case c) {
    long eventsBefore = server.orderEventCount();
    String before = state();
    long apiErrorsBefore = apiErrorsBad();

    Response r = send(c.endpoint(), c.contentType(), c.body());

    assertEquals(c.status(), r.status(), r::toString);
    assertTrue(r.header("Content-Type").orElse("").startsWith("application/json"), () -> "JSON error body: " + r.headers().map());
    JsonNode error = r.json().path("error");
    assertEquals(c.code(), error.path("code").asText(), r::toString);
    String field = error.path("field").asText();
    if (c.fieldPrefix()) assertTrue(field.startsWith(c.field()), () -> "field " + field + " starts with " + c.field());
    else assertEquals(c.field(), field, r::toString);
    assertFalse(error.path("message").asText("").isBlank(), "a message for people");

    assertEquals(eventsBefore, server.orderEventCount(), "the journal gained no order event");
    assertEquals(before, state(), "nothing changed");
    assertEquals(apiErrorsBefore, apiErrorsBad(), "a client's error is outside the api-errors SLO");
  }

  /** Bad events of the api-errors SLO (5xx answers of the private API): what paged on hostile JSON before (F6). */
  private static long apiErrorsBad() {
    for (JsonNode s : server.send(server.request("/api/private/slo").setHeader("X-API-Key", ADMIN_KEY).GET().build()).json().path("slos")) {
      if (s.path("slo").asText().equals("api-errors")) return s.path("total").asLong() - s.path("good").asLong();
    }
    throw new AssertionError("no api-errors SLO in /api/private/slo");
  }

  /** The rows above mean something: a valid order body on the same endpoint is placed, also labelled charset=utf-8. Last: it changes state. */
  @Order(2)
  @Test
  void aValidBodyOnTheSameEndpointIsReadAndActedOn() {
    Response placed = send(ENDPOINTS.get(0), "application/json", utf8(ENDPOINTS.get(0).body("\"0.001\"")));
    assertTrue(placed.status() / 100 == 2, placed::toString);
    Response latin1 = send(ENDPOINTS.get(0), "application/json; charset=utf-8",
        utf8(ORDER.replace("hostile-1", "hostile-utf8").replace("@", "\"0.001\"")));
    assertTrue(latin1.status() / 100 == 2, () -> "charset=utf-8 is read: " + latin1);
  }

  private static Response send(Endpoint e, String contentType, byte[] body) {
    HttpRequest.Builder b = server.request(e.path()).setHeader("X-API-Key", e.key());
    if (contentType != null) b.header("Content-Type", contentType);
    return server.send(b.method(e.method(), HttpRequest.BodyPublishers.ofByteArray(body)).build());
  }

  /** What any of the endpoints could change, read with the admin key. */
  private static String state() {
    StringBuilder s = new StringBuilder();
    for (String path : List.of("/api/private/open-orders", "/api/private/shadow/orders", "/api/private/queue/stats", "/api/private/kill-switch",
        "/api/private/risk/limits", "/api/private/risk/audit", "/api/private/chaos", "/api/private/snapshots")) {
      Response r = server.send(server.request(path).setHeader("X-API-Key", ADMIN_KEY).GET().build());
      assertEquals(200, r.status(), () -> path + ": " + r);
      s.append(path).append(' ').append(r.text()).append('\n');
    }
    return s.toString();
  }
}
