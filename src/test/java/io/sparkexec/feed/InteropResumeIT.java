package io.sparkexec.feed;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.sparkexec.feed.Interop.Client;
import io.sparkexec.testing.ExternalTools;
import io.sparkexec.testing.TestServer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real clients on the real orders channel (the journal's tag stream of a running executor):
 * Node's ws, Python's websockets and headless Chromium each negotiate permessage-deflate, are
 * dropped by the server every second (the chaos flap, close 4003) while orders are placed, and
 * reconnect with {@code from=<last seq>}: every client ends with every order event exactly
 * once, seqs contiguous from 1. Each client prints OPEN (extensions), SEQ n, CLOSED code, GAP.
 */
@ExtendWith(LogCapturingExtension.class)
class InteropResumeIT {

  private static final int MIN_ORDERS = 6;
  private static final int MIN_FLAPS = 2;

  @TempDir
  static Path dataDir;

  private static TestServer server;

  @TempDir
  Path tmp;

  @BeforeAll
  static void start() {
    server = TestServer.inProcess(dataDir);
    TestServer.Response flap = server.send(server.request("/api/private/chaos").setHeader("X-API-Key", "admin-dev-key")
        .header("Content-Type", "application/json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json("wsFlapSec", 1, "reason", "interop resume"))).build());
    assertEquals(200, flap.status(), flap::toString);
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  private static String feedUrl() {
    return "ws://127.0.0.1:" + server.port() + "/ws/feed?channels=orders";
  }

  @Test
  void nodeWs() throws Exception {
    Path module = Interop.nodeWsModule();
    Path script = tmp.resolve("resume.js");
    Files.writeString(script, """
        const WebSocket = require(process.argv[2]);
        const [url, key] = [process.argv[3], process.argv[4]];
        let last = 0;
        function connect() {
          const ws = new WebSocket(url + '&from=' + last, { headers: { 'X-API-Key': key }, perMessageDeflate: true });
          ws.on('open', () => console.log('OPEN ' + ws.extensions));
          ws.on('message', (data) => {
            const m = JSON.parse(data);
            if (m.channel !== 'orders') return;
            if (m.seq !== last + 1) { console.log('GAP expected ' + (last + 1) + ' got ' + m.seq); process.exit(2); }
            last = m.seq;
            console.log('SEQ ' + last);
          });
          ws.on('close', (code) => { console.log('CLOSED ' + code); setTimeout(connect, 50); });
          ws.on('error', (e) => console.log('WARN ' + e.message));
        }
        connect();
        """);
    resumesWithoutGapOrDuplicate(() -> startClient(List.of("node", script.toString(), module.toString(), feedUrl(), TestServer.TRADER_KEY)));
  }

  @Test
  void pythonWebsockets() throws Exception {
    ExternalTools.requireTool(ExternalTools.runs("/usr/bin/python3", "-c", "import websockets"), "python3-websockets (Debian package)");
    Path script = tmp.resolve("resume.py");
    Files.writeString(script, """
        import asyncio, json, sys
        import websockets

        async def main(url, key):
            last = 0
            while True:
                try:
                    async with websockets.connect(url + "&from=%d" % last, extra_headers={"X-API-Key": key}, compression="deflate") as ws:
                        print("OPEN " + ",".join(e.name for e in ws.extensions), flush=True)
                        async for raw in ws:
                            m = json.loads(raw)
                            if m.get("channel") != "orders":
                                continue
                            if m["seq"] != last + 1:
                                print("GAP expected %d got %d" % (last + 1, m["seq"]), flush=True)
                                sys.exit(2)
                            last = m["seq"]
                            print("SEQ %d" % last, flush=True)
                        print("CLOSED %s" % ws.close_code, flush=True)
                except websockets.exceptions.ConnectionClosed as e:
                    print("CLOSED %s" % e.code, flush=True)
                await asyncio.sleep(0.05)

        asyncio.run(main(sys.argv[1], sys.argv[2]))
        """);
    resumesWithoutGapOrDuplicate(() -> startClient(List.of("/usr/bin/python3", script.toString(), feedUrl(), TestServer.TRADER_KEY)));
  }

  /** The page fetches a single-use token from the test's page server before every connect: browsers cannot send headers. */
  @Test
  void headlessChromium() throws Exception {
    String chromium = ExternalTools.chromium();
    byte[] page = """
        <!doctype html><html><body><script>
        const p = new URLSearchParams(location.search);
        const say = (line) => fetch('/line', { method: 'POST', body: line });
        let last = 0;
        async function connect() {
          const token = await (await fetch('/token')).text();
          const ws = new WebSocket(p.get('ws') + '&from=' + last + '&token=' + token);
          ws.onopen = () => say('OPEN ' + ws.extensions);
          ws.onmessage = (e) => {
            const m = JSON.parse(e.data);
            if (m.channel !== 'orders') return;
            if (m.seq !== last + 1) { say('GAP expected ' + (last + 1) + ' got ' + m.seq); return; }
            last = m.seq;
            say('SEQ ' + last);
          };
          ws.onclose = (e) => { say('CLOSED ' + e.code); setTimeout(connect, 50); };
        }
        connect();
        </script></body></html>
        """.getBytes(StandardCharsets.UTF_8);
    // lines arrive by fetch, possibly out of order: a queue ordered by arrival is what Client reads, so SEQ lines are
    // checked as a set below (the page itself checks the order and reports GAP)
    java.util.concurrent.BlockingQueue<String> lines = new java.util.concurrent.LinkedBlockingQueue<>();
    HttpServer pages = Interop.pageServer(page, "/line", lines);
    pages.createContext("/token", ex -> {
      byte[] token = server.post("/api/private/ws-token", "{}").json().path("token").asText().getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, token.length);
      ex.getResponseBody().write(token);
      ex.close();
    });
    String url = "http://127.0.0.1:" + pages.getAddress().getPort() + "/page.html?ws=" + URLEncoder.encode(feedUrl(), StandardCharsets.UTF_8);
    Path profile = Files.createTempDirectory("chromium-profile");
    Client browser = Client.start(ExternalTools.chromiumCommand(chromium, profile, url), tmp);
    try {
      resumesWithoutGapOrDuplicate(() -> new Client(browser.process(), lines));
    } finally {
      ExternalTools.stopWithDescendants(browser.process());
      pages.stop(0);
      Interop.deleteQuietly(profile);
    }
  }

  private Client startClient(List<String> command) {
    try {
      return Client.start(command, tmp);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Places orders (one after each event the client has caught up on) until enough orders were
   * placed and the client was dropped at least twice, then checks the client saw every order
   * event of the journal exactly once.
   */
  private void resumesWithoutGapOrDuplicate(Supplier<Client> start) throws Exception {
    Client client = start.get();
    List<Long> seqs = new ArrayList<>();
    List<String> closes = new ArrayList<>();
    List<String> opens = new ArrayList<>();
    AtomicInteger placed = new AtomicInteger();
    try {
      await().atMost(Duration.ofSeconds(180)).until(() -> {
        read(client, seqs, closes, opens);
        long journaled = server.orderEventCount();
        boolean caughtUp = seqs.size() > 0 && seqs.stream().mapToLong(Long::longValue).max().getAsLong() >= journaled;
        if (caughtUp || journaled == 0) {
          if (placed.get() >= MIN_ORDERS && closes.size() >= MIN_FLAPS && journaled > 0) return true;
          int n = placed.incrementAndGet();
          TestServer.Response r = server.placeOrder(json("clientOrderId", "interop-" + System.nanoTime() + "-" + n, "symbol", "BTCUSDT",
              "side", "BUY", "type", "MARKET", "quantity", "0.001", "strategy", "interop"));
          assertEquals(200, r.status(), r::toString);
        }
        return false;
      });
    } finally {
      if (client.process() != null) client.process().destroyForcibly();
    }
    assertTrue(opens.stream().allMatch(o -> o.equals("permessage-deflate")), () -> "every connection compressed: " + opens);
    assertTrue(closes.stream().anyMatch(c -> c.equals(String.valueOf(CloseReason.CHAOS_FLAP.code))), () -> "dropped by the flap: " + closes);
    List<Long> sorted = seqs.stream().sorted().toList();
    long journaled = server.orderEventCount();
    for (int i = 0; i < sorted.size(); i++) assertEquals(i + 1, sorted.get(i), "every seq once, from 1: " + sorted);
    assertEquals(journaled, sorted.size(), "every journaled order event arrived");
  }

  private static void read(Client client, List<Long> seqs, List<String> closes, List<String> opens) {
    for (String l; (l = client.lines().poll()) != null; ) {
      if (l.startsWith("GAP")) throw new AssertionError("client reported " + l);
      if (l.startsWith("SEQ ")) seqs.add(Long.parseLong(l.substring(4).trim()));
      else if (l.startsWith("CLOSED ")) closes.add(l.substring(7).trim());
      else if (l.startsWith("OPEN")) opens.add(l.substring(4).trim());
    }
  }
}
