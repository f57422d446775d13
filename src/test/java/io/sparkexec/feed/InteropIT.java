package io.sparkexec.feed;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.sparkexec.feed.Interop.Client;
import io.sparkexec.http.Json;
import io.sparkexec.testing.ExternalTools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real clients negotiate permessage-deflate with the feed and decode every message of a known
 * sequence (N order events from a test source, after the seq each connects with): Node's {@code ws}, Python's
 * {@code websockets} (Debian's python3-websockets) and headless Chromium. A missing tool skips
 * its test with a message, except on CI (CI=true), where it fails: .ci/run installs them all.
 */
@ExtendWith(LogCapturingExtension.class)
class InteropIT {

  private static final int MESSAGES = 500;
  private static FeedTestServer server;

  @TempDir
  Path tmp;

  @BeforeAll
  static void start() throws Exception {
    server = FeedTestServer.start("spark.feed.ping-sec = 5");
  }

  @AfterAll
  static void stop() throws Exception {
    server.stop();
  }

  /** The id the next connection will get. */
  private static long nextConnectionId() throws Exception {
    return server.status().path("totals").path("connectionsOpened").asLong() + 1;
  }

  /**
   * Publishes N events once the client's connection is registered, after checking the server agreed to compress. The
   * client subscribed with from=<the seq before>, so it gets them whenever its subscription catches up.
   */
  private static void publishSequence(long connectionId) throws Exception {
    await().atMost(Duration.ofSeconds(120)).until(() -> server.connection(connectionId) != null);
    assertEquals("permessage-deflate", server.connection(connectionId).path("compression").asText(), "the server agreed to compress");
    for (int i = 0; i < MESSAGES; i++) server.orders.publish();
  }

  private static void assertCompressed() throws Exception {
    JsonNode totals = server.status().path("totals");
    assertTrue(totals.path("compressedFrames").asLong() >= MESSAGES);
    assertTrue(totals.path("bytesWire").asLong() < totals.path("bytesRaw").asLong());
  }

  @Test
  void nodeWs() throws Exception {
    Path module = Interop.nodeWsModule();
    Path script = tmp.resolve("client.js");
    Files.writeString(script, """
        const WebSocket = require(process.argv[2]);
        const [url, key, first, n] = [process.argv[3], process.argv[4], Number(process.argv[5]), Number(process.argv[6])];
        const ws = new WebSocket(url, { headers: { 'X-API-Key': key }, perMessageDeflate: true });
        const end = first + n;
        let next = first;
        ws.on('open', () => console.log('OPEN ' + ws.extensions));
        ws.on('message', (data) => {
          const m = JSON.parse(data);
          if (m.channel !== 'orders') return;
          if (m.seq !== next) { console.log('GAP expected ' + next + ' got ' + m.seq); process.exit(2); }
          if (++next === end) { console.log('DONE ' + ws.extensions); ws.close(1000); }
        });
        ws.on('close', (code) => process.exit(next === end ? 0 : 3));
        ws.on('error', (e) => { console.log('ERROR ' + e.message); process.exit(4); });
        """);
    long after = server.orders.last();
    receivesTheSequenceCompressed(List.of("node", script.toString(), module.toString(), server.ws("channels=orders&from=" + after).toString(),
        FeedTestServer.TRADER_KEY, String.valueOf(after + 1), String.valueOf(MESSAGES)));
  }

  @Test
  void pythonWebsockets() throws Exception {
    ExternalTools.requireTool(ExternalTools.runs("/usr/bin/python3", "-c", "import websockets"), "python3-websockets (Debian package)");
    Path script = tmp.resolve("client.py");
    Files.writeString(script, """
        import asyncio, json, sys
        import websockets

        async def main(url, key, first, n):
            async with websockets.connect(url, extra_headers={"X-API-Key": key}, compression="deflate") as ws:
                names = ",".join(e.name for e in ws.extensions)
                print("OPEN " + names, flush=True)
                nxt = first
                while nxt < first + n:
                    m = json.loads(await ws.recv())
                    if m.get("channel") != "orders":
                        continue
                    if m["seq"] != nxt:
                        print("GAP expected %d got %d" % (nxt, m["seq"]), flush=True)
                        sys.exit(2)
                    nxt += 1
                print("DONE " + names, flush=True)

        asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
        """);
    long after = server.orders.last();
    receivesTheSequenceCompressed(List.of("/usr/bin/python3", script.toString(), server.ws("channels=orders&from=" + after).toString(),
        FeedTestServer.TRADER_KEY, String.valueOf(after + 1), String.valueOf(MESSAGES)));
  }

  /** Runs a client script that prints OPEN/DONE with the negotiated extensions and exits 0 on a gap-free sequence. */
  private void receivesTheSequenceCompressed(List<String> command) throws Exception {
    long id = nextConnectionId();
    Client c = Client.start(command, tmp);
    try {
      assertEquals("permessage-deflate", c.await("OPEN"));
      publishSequence(id);
      assertEquals("permessage-deflate", c.await("DONE"));
      assertTrue(c.process().waitFor(120, TimeUnit.SECONDS));
      assertEquals(0, c.process().exitValue());
      assertCompressed();
    } finally {
      c.process().destroyForcibly();
    }
  }

  /** The page reports to a small HTTP server of the test's own, so nothing depends on when Chromium dumps or exits. */
  @Test
  void headlessChromium() throws Exception {
    String chromium = ExternalTools.chromium();
    BlockingQueue<String> reports = new LinkedBlockingQueue<>();
    byte[] page = """
        <!doctype html><html><body><script>
        const p = new URLSearchParams(location.search);
        const first = Number(p.get('first'));
        const n = Number(p.get('n'));
        const report = (o) => fetch('/report', { method: 'POST', body: JSON.stringify(o) });
        const ws = new WebSocket(p.get('ws'));
        let next = first;
        ws.onopen = () => report({ event: 'open', extensions: ws.extensions });
        ws.onerror = () => report({ event: 'error' });
        ws.onmessage = (e) => {
          const m = JSON.parse(e.data);
          if (m.channel !== 'orders') return;
          if (m.seq !== next) { report({ event: 'gap', expected: next, got: m.seq }); ws.close(); return; }
          if (++next === first + n) { report({ event: 'done', extensions: ws.extensions, received: n }); ws.close(1000); }
        };
        </script></body></html>
        """.getBytes(StandardCharsets.UTF_8);
    HttpServer pages = Interop.pageServer(page, "/report", reports);
    // a browser cannot set headers: it authenticates with a single-use token in the URL
    long after = server.orders.last();
    String wsUrl = server.ws("channels=orders&from=" + after + "&token=" + server.token()).toString();
    String url = "http://127.0.0.1:" + pages.getAddress().getPort() + "/page.html?first=" + (after + 1) + "&n=" + MESSAGES + "&ws="
        + java.net.URLEncoder.encode(wsUrl, StandardCharsets.UTF_8);
    long id = nextConnectionId();
    // outside @TempDir: Chromium's helper processes may still write there while JUnit cleans up
    Path profile = Files.createTempDirectory("chromium-profile");
    Client c = Client.start(ExternalTools.chromiumCommand(chromium, profile, url), tmp);
    try {
      JsonNode open = nextReport(reports, c);
      assertEquals("open", open.path("event").asText(), open.toString());
      assertEquals("permessage-deflate", open.path("extensions").asText());
      publishSequence(id);
      JsonNode done = nextReport(reports, c);
      assertEquals("done", done.path("event").asText(), done.toString());
      assertEquals(MESSAGES, done.path("received").asInt());
      assertCompressed();
    } finally {
      ExternalTools.stopWithDescendants(c.process());
      pages.stop(0);
      Interop.deleteQuietly(profile);
    }
  }

  private static JsonNode nextReport(BlockingQueue<String> reports, Client chromium) throws Exception {
    String r = reports.poll(180, TimeUnit.SECONDS);
    if (r == null) throw new AssertionError("no report from the page; chromium said: " + new ArrayList<>(chromium.lines()));
    return Json.MAPPER.readTree(r);
  }
}
