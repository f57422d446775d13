package io.sparkexec.http;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.testing.ExternalTools;
import io.sparkexec.testing.TestServer;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The executor's large answers (the streamed fill export in NDJSON and CSV, open orders) reach
 * curl in Brotli and gzip and decode to the identity bytes; order bodies in Brotli are placed, a
 * Brotli bomb is refused with 413 and the executor goes on; the bytes per coding are on the
 * metrics page. In-process executor on a temp journal, real loopback HTTP.
 */
@ExtendWith(LogCapturingExtension.class)
class CompressionIT {

  private static final List<String> LARGE_ANSWERS =
      List.of("/api/private/export/fills", "/api/private/export/fills?format=csv", "/api/private/open-orders");

  @TempDir
  static Path dataDir;

  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.inProcess(dataDir);
    // not SOLUSDT: OrderApiIT counts that symbol's venue calls in this JVM's metrics
    String[] symbols = {"BTCUSDT", "ETHUSDT"};
    String[] quantities = {"0.01", "0.1"};
    for (int i = 0; i < 150; i++) {
      int s = i % 2;
      assertEquals(200, server.placeOrder(json("clientOrderId", "cz-m-" + i, "symbol", symbols[s], "side", i % 2 == 0 ? "BUY" : "SELL",
          "type", "MARKET", "quantity", quantities[s], "strategy", "s-" + i % 4)).status());
    }
    for (int i = 0; i < 30; i++) {
      assertEquals(200, server.placeOrder(json("clientOrderId", "cz-l-" + i, "symbol", "BTCUSDT", "side", "BUY", "type", "LIMIT",
          "quantity", "0.01", "price", "1000.00", "timeInForce", "GTC", "strategy", "s-" + i % 4)).status());
    }
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  @Test
  void curlReceivesBrotliAndGzipThatDecodeToTheIdentityBytes() throws Exception {
    ExternalTools.requireCurl();
    for (String path : LARGE_ANSWERS) {
      TestServer.Response identity = server.get(path);
      assertEquals(200, identity.status(), identity::toString);
      assertFalse(identity.header("Content-Encoding").isPresent(), "no Accept-Encoding, no coding");
      assertTrue(identity.raw().length > 5_000, path + " is a large answer: " + identity.raw().length + " bytes");

      Curl raw = curl(path, "br", false);
      assertEquals("br", raw.header("content-encoding"), path);
      assertArrayEquals(identity.raw(), EdgeServer.decode("br", raw.body()), path + ": brotli4j's decoder on what curl saved");
      assertTrue(raw.body().length < identity.raw().length / 4, path + ": " + raw.body().length + " of " + identity.raw().length);

      Curl gzip = curl(path, "gzip", true);
      assertEquals("gzip", gzip.header("content-encoding"), path);
      assertArrayEquals(identity.raw(), gzip.body(), path + ": curl's own gzip decoding");

      if (ExternalTools.curlDecodesBrotli()) {
        Curl compressed = curl(path, null, true);
        assertEquals("br", compressed.header("content-encoding"), path + ": curl --compressed offers br, which wins the tie");
        assertArrayEquals(identity.raw(), compressed.body(), path + ": curl's own br decoding");
      } else {
        System.err.println("codings interop: this curl cannot decode br; --compressed checked through brotli4j only");
      }
    }
  }

  @Test
  void theMetricsPageCountsBytesInAndOutPerCoding() {
    assertEquals("br", server.send(server.request("/api/private/open-orders").header("Accept-Encoding", "br").GET().build())
        .header("Content-Encoding").orElse("identity"));
    await("br bytes on the metrics page").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      String page = server.metrics();
      double in = TestServer.metricValue(page, "spark_http_response_uncompressed_bytes_total", "coding=\"br\"");
      double out = TestServer.metricValue(page, "spark_http_response_compressed_bytes_total", "coding=\"br\"");
      assertTrue(out > 0, "compressed br bytes counted");
      assertTrue(in > 4 * out, "uncompressed " + in + " over compressed " + out);
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"br", "gzip"})
  void anOrderBodyInACodingIsPlaced(String coding) throws Exception {
    String order = json("clientOrderId", "cz-coded-" + coding, "symbol", "ETHUSDT", "side", "BUY", "type", "MARKET", "quantity", "0.1");
    TestServer.Response r = postOrder(coding, HttpCompressionTest.encode(coding, order.getBytes(StandardCharsets.UTF_8)));
    assertEquals(200, r.status(), r::toString);
    assertEquals("cz-coded-" + coding, r.json().path("clientOrderId").asText());
  }

  @Test
  void aBrotliBombOnTheOrderPathIs413AndTheExecutorGoesOn() throws Exception {
    byte[] bomb = HttpCompressionTest.zeros("br", 100);
    TestServer.Response r = postOrder("br", bomb);
    assertEquals(413, r.status(), r::toString);
    JsonNode error = r.json().path("error");
    assertEquals("PAYLOAD_TOO_LARGE", error.path("code").asText());
    assertEquals(server.config().getBytes("spark.http.max-body-bytes").longValue(), error.path("details").path("limitBytes").asLong());
    assertEquals(200, server.publicGet("/api/public/health").status());
    assertEquals(200, server.placeOrder(json("clientOrderId", "cz-after-bomb", "symbol", "BTCUSDT", "side", "BUY", "type", "MARKET",
        "quantity", "0.01")).status());
  }

  @Test
  void anUnknownRequestCodingOnTheOrderPathIs415() {
    TestServer.Response r = postOrder("compress", "{}".getBytes(StandardCharsets.UTF_8));
    assertEquals(415, r.status(), r::toString);
    assertEquals("UNSUPPORTED_CONTENT_ENCODING", r.json().path("error").path("code").asText());
  }

  private static TestServer.Response postOrder(String contentEncoding, byte[] body) {
    return server.send(server.request("/api/private/order").header("Content-Type", "application/json").header("Content-Encoding", contentEncoding)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
  }

  /** What curl saved (raw unless {@code decode}, which is --compressed) and the headers it received (names lower-cased). */
  private record Curl(List<String> headers, byte[] body) {
    String header(String name) {
      return headers.stream().filter(h -> h.toLowerCase().startsWith(name + ":")).map(h -> h.substring(name.length() + 1).trim())
          .findFirst().orElse("identity");
    }
  }

  /** curl on {@code path}: with {@code acceptEncoding} as the header (null: --compressed picks it), decoding when {@code decode}. */
  private static Curl curl(String path, String acceptEncoding, boolean decode) throws Exception {
    Path headers = Files.createTempFile(dataDir, "curl", ".headers");
    Path body = Files.createTempFile(dataDir, "curl", ".body");
    List<String> command = new ArrayList<>(List.of("curl", "-sS", "--fail", "-D", headers.toString(), "-o", body.toString(),
        "-H", "X-API-Key: " + TestServer.TRADER_KEY));
    if (acceptEncoding != null) command.addAll(List.of("-H", "Accept-Encoding: " + acceptEncoding));
    if (decode) command.add("--compressed");
    command.add(server.uri(path).toString());
    ExternalTools.Run run = ExternalTools.run(command);
    assertEquals(0, run.exitCode(), () -> String.join(" ", command) + ": " + run.output());
    return new Curl(Files.readAllLines(headers), Files.readAllBytes(body));
  }
}
