package io.sparkexec.console;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.testing.ExternalTools;
import io.sparkexec.testing.TestServer;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console in headless Chromium (driven by playwright-core) against the real jar on loopback:
 * the operators' drill of issue #19, run by console-browser.cjs, which reports each check. The
 * screenshots of docs/console.md are written by this run into docs/console/. Skips with a message
 * without Chromium, node or playwright-core, except on CI (CI=true), where it fails.
 */
class ConsoleBrowserIT {

  private static final String ADMIN_KEY = "admin-dev-key";
  private static final Path SHOTS = Path.of("docs/console");
  private static final String HALT_REASON = "console drill <b>halt</b> & \"check\"";
  private static final List<String> CHECKS = List.of("wrong-key-refused", "trader-signed-in", "trader-no-admin-control", "key-in-session-storage-only",
      "order-appears-within-1s", "order-moves-to-filled", "admin-signed-in", "keyboard-reaches-every-control", "layout-1920x1080", "layout-1280x800", "admin-cancels-one",
      "admin-mass-cancels-by-strategy", "console-shows-halted-with-reason", "api-order-refused-423", "trader-console-sees-halt-live",
      "flap-reconnects", "admin-chaos-off", "sign-out-forgets-key", "no-csp-violation-or-page-error");
  private static final List<String> SCREENSHOTS = List.of("trader", "overview-1280x800", "overview-1920x1080", "trading-halted",
      "feed-reconnected", "trading", "readiness", "orders", "in-doubt", "latency", "fills", "venue", "queue", "slo", "chaos", "actions");
  private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G'};

  @TempDir
  Path dir;

  @Test
  void operatorsDrillInHeadlessChromium() throws Exception {
    String chromium = ExternalTools.chromium();
    Path module = ExternalTools.nodeModule("playwright-core", "playwright-core@1");
    Path script = Path.of(ConsoleBrowserIT.class.getResource("console-browser.cjs").toURI());
    Files.createDirectories(SHOTS);
    Instant started = Instant.now();
    try (TestServer server = TestServer.launchJar(dir, Map.of())) {
      ExternalTools.Run run = ExternalTools.run(List.of("node", script.toString(), module.toString(), chromium,
          "http://127.0.0.1:" + server.port(), ADMIN_KEY, TestServer.TRADER_KEY, SHOTS.toAbsolutePath().toString()));
      System.out.println("console drill:\n" + run.output());
      assertEquals(0, run.exitCode(), run.output() + "\nserver log:\n" + server.logTail(40));
      for (String check : CHECKS) {
        assertTrue(run.output().lines().anyMatch(l -> l.startsWith("OK " + check)), "no OK " + check + " in:\n" + run.output());
      }

      // the server's own record: the console acted through the documented endpoints, as the admin key
      JsonNode risk = adminGet(server, "/api/private/risk/audit").path("entries");
      assertTrue(StreamSupport.stream(risk.spliterator(), false).anyMatch(e -> e.path("by").asText().equals("dev-admin")
          && e.path("detail").asText().equals("ACTIVE -> HALTED (cancel open orders)") && e.path("reason").asText().equals(HALT_REASON)), risk.toString());
      JsonNode chaos = adminGet(server, "/api/private/chaos");
      JsonNode last = chaos.path("audit").get(chaos.path("audit").size() - 1);
      assertEquals("off", last.path("action").asText(), chaos.toString());
      assertEquals("console drill: chaos off", last.path("reason").asText());
      assertEquals(0, chaos.path("inForce").path("wsFlapSec").asInt());
    }
    for (String name : SCREENSHOTS) {
      Path shot = SHOTS.resolve(name + ".png");
      assertTrue(Files.getLastModifiedTime(shot).toInstant().isAfter(started), shot + " was written by this run");
      try (InputStream in = Files.newInputStream(shot)) {
        assertArrayEquals(PNG, Arrays.copyOf(in.readNBytes(4), 4), shot + " is a PNG");
      }
    }
  }

  private static JsonNode adminGet(TestServer server, String path) {
    TestServer.Response r = server.send(HttpRequest.newBuilder(server.uri(path)).header("X-API-Key", ADMIN_KEY).GET().build());
    assertEquals(200, r.status(), path + " " + r);
    return r.json();
  }
}
