package io.sparkexec.http;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Byte-level requests over a raw socket against the whole executor: the smuggling shapes of
 * issue #14 F2, bare LF, a repeated X-API-Key, pekko-http's own rejections, pipelined bodies that
 * must still pass, and a connection flood that must leave the operators a way in.
 */
class HostileBytesIT {

  static final String ADMIN_KEY = "admin-dev-key";
  static final int PER_CLIENT = 40;
  static final Duration HEADER_TIMEOUT = Duration.ofSeconds(3);

  @TempDir
  static Path dataDir;

  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.inProcess(dataDir, ConfigFactory.parseString("spark.http.max-connections-per-client = " + PER_CLIENT
        + "\nspark.http.header-timeout = " + HEADER_TIMEOUT.toMillis() + "ms"));
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  /** The raw answer bytes (as ISO-8859-1 text) to {@code request}, read until the server closes. */
  static String exchange(byte[] request) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write(request);
      s.getOutputStream().flush();
      return readToEnd(s.getInputStream());
    }
  }

  static String readToEnd(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try {
      for (int n; (n = in.read(buf)) >= 0; ) out.write(buf, 0, n);
    } catch (SocketException reset) {
      // a close with unread input may reset: what arrived before it is the answer
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  static byte[] bytes(String latin1) {
    return latin1.getBytes(StandardCharsets.ISO_8859_1);
  }

  static List<Integer> statuses(String raw) {
    List<Integer> s = new ArrayList<>();
    Matcher m = Pattern.compile("HTTP/1\\.1 (\\d{3}) ").matcher(raw);
    while (m.find()) s.add(Integer.parseInt(m.group(1)));
    return s;
  }

  static JsonNode error(String raw) throws IOException {
    assertTrue(raw.contains("Content-Type: application/json"), raw);
    return Json.MAPPER.readTree(raw.substring(raw.indexOf("\r\n\r\n") + 4)).path("error");
  }

  static String tradingState() {
    return server.get("/api/private/kill-switch").json().path("state").asText();
  }

  @Test
  void aLoneLeadByteBeforeTheKeyIsRefusedNotSwallowed() throws Exception {
    String raw = exchange(bytes("GET /api/private/kill-switch HTTP/1.1\r\nHost: x\r\nX-Pad: a\u00e9\r\nX-API-Key: " + ADMIN_KEY + "\r\n\r\n"));
    assertEquals(List.of(400), statuses(raw), raw);
    JsonNode e = error(raw);
    assertEquals("INVALID_REQUEST_HEAD", e.path("code").asText(), raw);
    assertEquals("X-Pad", e.path("field").asText(), raw);
  }

  @Test
  void aSmuggledKillSwitchInTheBodyIsNeverExecuted() throws Exception {
    assertEquals("ACTIVE", tradingState());
    String body = "{\"state\":\"HALTED\",\"reason\":\"smuggled\"}";
    String smuggled = "POST /api/private/kill-switch HTTP/1.1\r\nHost: x\r\nX-API-Key: " + ADMIN_KEY
        + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    String raw = exchange(bytes("POST /api/public/ready HTTP/1.1\r\nHost: x\r\nX-Pad: a\u00e9\r\nContent-Length: " + smuggled.length()
        + "\r\n\r\n" + smuggled));
    assertEquals(List.of(400), statuses(raw), raw);
    assertEquals("ACTIVE", tradingState(), "the smuggled kill-switch POST ran");
  }

  @Test
  void aLeadByteEndingTheHeadAnswersAtOnceInsteadOfHanging() throws Exception {
    long t0 = System.nanoTime();
    String raw = exchange(bytes("GET /api/public/ready HTTP/1.1\r\nHost: x\r\nX-Pad: a\u00e9\r\n\r\n"));
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    assertEquals(List.of(400), statuses(raw), raw);
    assertTrue(took.compareTo(HEADER_TIMEOUT) < 0, "answered after " + took);
  }

  @Test
  void bareLineFeedsAreRefused() throws Exception {
    String raw = exchange(bytes("GET /api/public/ready HTTP/1.1\nHost: x\n\n"));
    assertEquals(List.of(400), statuses(raw), raw);
    assertTrue(error(raw).path("message").asText().contains("bare LF"), raw);
  }

  @Test
  void twoApiKeysAreRefusedNotFirstWins() throws Exception {
    String raw = exchange(bytes("GET /api/private/kill-switch HTTP/1.1\r\nHost: x\r\nX-API-Key: " + ADMIN_KEY
        + "\r\nX-API-Key: nobody\r\nConnection: close\r\n\r\n"));
    assertEquals(List.of(400), statuses(raw), raw);
    JsonNode e = error(raw);
    assertEquals("DUPLICATE_HEADER", e.path("code").asText(), raw);
    assertEquals("X-API-Key", e.path("field").asText(), raw);
  }

  @Test
  void pekkosOwnRejectionsAreJson() throws Exception {
    String longUri = "/api/public/ready?" + "a".repeat(3000);
    StringBuilder manyHeaders = new StringBuilder("GET /api/public/ready HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 80; i++) manyHeaders.append("X-H").append(i).append(": v\r\n");
    String bigHeader = "GET /api/public/ready HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(9000) + "\r\n\r\n";
    String hugeHead = "GET /api/public/ready HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20000) + "\r\n\r\n";
    record Case(String request, int status, String code) {}
    for (Case c : List.of(
        new Case("GET " + longUri + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, "URI_TOO_LONG"),
        new Case(manyHeaders + "\r\n", 400, "MALFORMED_REQUEST"),
        new Case(bigHeader, 431, "REQUEST_HEAD_TOO_LARGE"),
        new Case(hugeHead, 431, "REQUEST_HEAD_TOO_LARGE"),
        new Case("GET /api/public/ready HTTP/2.0\r\nHost: x\r\n\r\n", 505, "HTTP_VERSION_NOT_SUPPORTED"),
        new Case("GET /api/public/ready\r\n\r\n", 400, "MALFORMED_REQUEST_LINE"))) {
      String raw = exchange(bytes(c.request()));
      assertEquals(List.of(c.status()), statuses(raw), raw);
      assertEquals(c.code(), error(raw).path("code").asText(), raw);
    }
  }

  @Test
  void pipelinedRequestsWithBodiesStillPass() throws Exception {
    // a gzip body is full of bytes the head rule forbids; it must pass as it is
    String reason = "still active: caf\u00e9 \u20ac";
    byte[] json = ("{\"state\":\"ACTIVE\",\"reason\":\"" + reason + "\"}").getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
      z.write(json);
    }
    ByteArrayOutputStream req = new ByteArrayOutputStream();
    req.write(bytes("POST /api/private/kill-switch HTTP/1.1\r\nHost: x\r\nX-API-Key: " + ADMIN_KEY
        + "\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: " + gz.size() + "\r\n\r\n"));
    req.write(gz.toByteArray());
    req.write(bytes("POST /api/private/kill-switch HTTP/1.1\r\nHost: x\r\nX-API-Key: " + ADMIN_KEY
        + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"));
    req.write(bytes(Integer.toHexString(json.length) + "\r\n"));
    req.write(json);
    req.write(bytes("\r\n0\r\n\r\n"));
    req.write(bytes("GET /api/public/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    String raw = exchange(req.toByteArray());
    assertEquals(List.of(200, 200, 200), statuses(raw), raw);
    assertEquals("ACTIVE", tradingState());
    assertEquals(reason, server.get("/api/private/kill-switch").json().path("reason").asText());
  }

  @Test
  void aConnectionFloodFromOneAddressLeavesTheOperatorsAWayIn() throws Exception {
    InetAddress flooder = InetAddress.getByName("127.0.0.2");
    List<Socket> flood = new ArrayList<>();
    try {
      for (int i = 0; i < PER_CLIENT + 10; i++) {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(flooder, 0));
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), 5_000);
        s.setSoTimeout(20_000);
        flood.add(s);
      }
      // the excess hear 503 and are closed; the others sit idle, holding their slots
      List<Socket> excess = flood.subList(PER_CLIENT, flood.size());
      for (Socket s : excess) {
        String raw = readToEnd(s.getInputStream());
        assertEquals(List.of(503), statuses(raw), raw);
        assertEquals("TOO_MANY_CONNECTIONS", error(raw).path("code").asText());
        assertTrue(raw.contains("Retry-After: 1"), raw);
      }
      assertEquals(200, server.publicGet("/api/public/ready").status());
      TestServer.Response halt = server.send(java.net.http.HttpRequest.newBuilder(server.uri("/api/private/kill-switch"))
          .header("X-API-Key", ADMIN_KEY).header("Content-Type", "application/json")
          .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"state\":\"ACTIVE\",\"reason\":\"operator during a flood\"}")).build());
      assertEquals(200, halt.status(), halt::text);
      // idle connections that never send a head are closed after the header timeout, with a 408
      long t0 = System.nanoTime();
      String idle = readToEnd(flood.get(0).getInputStream());
      assertEquals(List.of(408), statuses(idle), idle);
      assertTrue(Duration.ofNanos(System.nanoTime() - t0).compareTo(HEADER_TIMEOUT.plusSeconds(5)) < 0);
      await().atMost(Duration.ofSeconds(15)).until(() -> {
        try (Socket again = new Socket()) {
          again.bind(new InetSocketAddress(flooder, 0));
          again.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), 5_000);
          again.setSoTimeout(10_000);
          again.getOutputStream().write(bytes("GET /api/public/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
          return statuses(readToEnd(again.getInputStream())).equals(List.of(200));
        }
      });
    } finally {
      for (Socket s : flood) s.close();
    }
  }

  /** U2: chaos and slo match the method before the key, so a wrong method is 405 with or without one. */
  @Test
  void aWrongMethodAnswers405BeforeTheKeyIsAsked() throws Exception {
    for (String[] c : List.of(new String[] {"PUT", "/api/private/chaos"}, new String[] {"GET", "/api/private/chaos/toggle"},
        new String[] {"DELETE", "/api/private/chaos/off"}, new String[] {"POST", "/api/private/slo"})) {
      for (String key : new String[] {null, "wrong-key"}) {
        String raw = exchange(bytes(c[0] + " " + c[1] + " HTTP/1.1\r\nHost: x\r\n" + (key == null ? "" : "X-API-Key: " + key + "\r\n")
            + "Content-Length: 0\r\nConnection: close\r\n\r\n"));
        assertEquals(List.of(405), statuses(raw), () -> c[0] + " " + c[1] + " key=" + key + " -> " + raw);
      }
    }
    assertEquals(List.of(401), statuses(exchange(bytes("GET /api/private/slo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))));
  }
}
