package io.sparkexec.http;

import static io.sparkexec.testing.TestServer.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.testing.TestServer;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar as operators run it ({@code java -jar target/spark-executor.jar serve}): it
 * carries libbrotli and loads it, so br is served; and where the library cannot load (pointed at
 * a file that is not there), the edge serves gzip, refuses br bodies, and says so once in the log.
 */
class BrotliJarIT {

  private static final String UNAVAILABLE = "event=http_brotli_unavailable";

  @TempDir
  Path dataDir;

  @Test
  void theShadedJarLoadsLibbrotliAndServesBr() {
    try (TestServer server = TestServer.launchJar(dataDir, Map.of())) {
      byte[] identity = openOrders(server);
      TestServer.Response br = openOrders(server, "br");
      assertEquals("br", br.header("Content-Encoding").orElse("identity"));
      assertArrayEquals(identity, EdgeServer.decode("br", br.raw()));
      String log = server.logTail(100_000);
      assertTrue(log.contains("codings=br,gzip,deflate"), log);
      assertFalse(log.contains(UNAVAILABLE), log);
    }
  }

  @Test
  void withoutLibbrotliTheEdgeServesGzipAndSaysSoOnce() {
    String missing = dataDir.resolve("no-such-libbrotli.so").toString();
    try (TestServer server = TestServer.launchJar(dataDir, Map.of("JAVA_TOOL_OPTIONS", "-Dbrotli4j.library.path=" + missing))) {
      byte[] identity = openOrders(server);
      TestServer.Response gzip = openOrders(server, "br, gzip");
      assertEquals("gzip", gzip.header("Content-Encoding").orElse("identity"), "br is not on offer, gzip is next");
      assertArrayEquals(identity, EdgeServer.decode("gzip", gzip.raw()));
      TestServer.Response onlyBr = openOrders(server, "br");
      assertFalse(onlyBr.header("Content-Encoding").isPresent(), "br alone: identity, never a coding the client did not ask for");
      assertArrayEquals(identity, onlyBr.raw());

      TestServer.Response brBody = server.send(server.request("/api/private/order").header("Content-Type", "application/json")
          .header("Content-Encoding", "br").POST(HttpRequest.BodyPublishers.ofString("{}")).build());
      assertEquals(415, brBody.status(), brBody::toString);
      assertEquals("gzip, deflate", brBody.header("Accept-Encoding").orElse(""));

      String log = server.logTail(100_000);
      assertEquals(1, log.lines().filter(l -> l.contains(UNAVAILABLE)).count(), log);
      assertTrue(log.lines().anyMatch(l -> l.contains(UNAVAILABLE) && l.contains("fallback=gzip") && l.contains(missing)), log);
      assertTrue(log.contains("codings=gzip,deflate"), log);
    }
  }

  /** Resting orders, so the listing is past the minimum size; its identity bytes. */
  private static byte[] openOrders(TestServer server) {
    for (int i = 0; i < 20; i++) {
      assertEquals(200, server.placeOrder(json("clientOrderId", "jar-" + i, "symbol", "BTCUSDT", "side", "BUY", "type", "LIMIT",
          "quantity", "0.01", "price", "1000.00", "timeInForce", "GTC")).status());
    }
    TestServer.Response identity = server.get("/api/private/open-orders");
    assertTrue(identity.raw().length > HttpCompression.Settings.DEFAULTS.minSizeBytes(), "open orders: " + identity.raw().length + " bytes");
    assertFalse(identity.header("Content-Encoding").isPresent());
    return identity.raw();
  }

  private static TestServer.Response openOrders(TestServer server, String acceptEncoding) {
    return server.send(server.request("/api/private/open-orders").header("Accept-Encoding", acceptEncoding).GET().build());
  }
}
