package io.sparkexec.front;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.testing.CcxtScripts;
import io.sparkexec.testing.ExternalTools;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestVenueSim;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #18: kill -9 of the executor's jar while unmodified ccxt places orders through the
 * Binance front door (VENUE=http, the simulator behind it). After the restart on the same data
 * every order ccxt got an answer for exists, and the simulator created none twice.
 */
class BinanceFrontCrashIT {

  @TempDir
  static Path dir;

  @Test
  void everyOrderCcxtWasAnsweredForSurvivesKillNine() throws Exception {
    Path module = ExternalTools.nodeModule("ccxt", "ccxt@4");
    TestVenueSim sim = TestVenueSim.inProcess(dir.resolve("sim"));
    int frontPort = TestServer.freePort();
    Map<String, String> env = Map.of("VENUE", "http", "VENUE_URL", sim.url(), "BINANCE_ENABLED", "true", "BINANCE_PORT", String.valueOf(frontPort));
    Path executorDir = dir.resolve("executor");
    TestServer executor = TestServer.launchJar(executorDir, env);
    Set<String> answered = ConcurrentHashMap.newKeySet();
    Set<String> attempted = ConcurrentHashMap.newKeySet();
    AtomicInteger failedAfterKill = new AtomicInteger();
    Process client = null;
    try {
      BigDecimal bid = new BigDecimal(sim.get("/api/v3/ticker/bookTicker?symbol=BTCUSDT").json().path("bidPrice").asText());
      Path script = dir.resolve("ccxt-crash.js");
      Files.writeString(script, CcxtScripts.PRELUDE + LOOP);
      client = new ProcessBuilder("node", script.toString(), module.getParent().getParent().toString(), "http://127.0.0.1:" + frontPort,
          "front-dev-key", "front-dev-secret", bid.multiply(new BigDecimal("0.5")).setScale(2, RoundingMode.DOWN).toPlainString())
          .redirectErrorStream(true).start();
      Process running = client;
      boolean[] killed = {false};
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(running.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = r.readLine()) != null; ) {
            String[] parts = line.split(" ", 3);
            if (parts[0].equals("ATTEMPT")) attempted.add(parts[1]);
            else if (parts[0].equals("ANSWERED")) answered.add(parts[1]);
            else if (parts[0].equals("FAILED") && killed[0]) failedAfterKill.incrementAndGet();
            else if (!parts[0].equals("FAILED")) System.out.println("[ccxt] " + line);
          }
        } catch (java.io.IOException e) {
          // the script was stopped
        }
      });
      reader.start();
      await("ccxt answered").atMost(Duration.ofSeconds(90)).until(() -> answered.size() >= 20 || !running.isAlive());
      assertTrue(running.isAlive(), "the ccxt loop ended early");
      killed[0] = true;
      executor.kill9();
      // ccxt meets the dead port a few times: what it sends then gets no answer
      await("ccxt meets the dead executor").atMost(Duration.ofSeconds(30)).until(() -> failedAfterKill.get() >= 3);
      client.destroy();
      assertTrue(client.waitFor(30, TimeUnit.SECONDS));
      reader.join(10_000);
      System.out.printf("[BinanceFrontCrashIT] ccxt attempted %d orders, %d answered before the kill%n", attempted.size(), answered.size());

      executor = TestServer.launchJar(executorDir, env);
      for (String id : answered) {
        assertEquals(200, executor.getOrder(id).status(), () -> id + " was answered to ccxt: it must exist after the restart");
      }
      for (String id : attempted) {
        assertTrue(sim.submissions(id) <= 1, () -> id + " created " + sim.submissions(id) + " times at the simulator");
      }
      for (String id : answered) assertEquals(1, sim.submissions(id), () -> id + " answered, so at the venue once");
    } finally {
      if (client != null) client.destroyForcibly();
      executor.close();
      sim.close();
    }
  }

  /** Orders one after another (even: MARKET, odd: a resting LIMIT), each under its own client id; a failed call is said so and the loop goes on. */
  static final String LOOP = """
      (async () => {
        await exchange.loadMarkets();
        for (let i = 0; i < 100000; i++) {
          const id = 'front-crash-' + i;
          console.log('ATTEMPT ' + id);
          try {
            const o = i % 2 === 0
              ? await exchange.createOrder(S, 'market', 'buy', 0.001, undefined, { clientOrderId: id })
              : await exchange.createOrder(S, 'limit', 'buy', 0.001, Number(args[0]), { clientOrderId: id });
            console.log('ANSWERED ' + o.clientOrderId + ' ' + o.status);
          } catch (e) {
            console.log('FAILED ' + id + ' ' + e.constructor.name);
            await new Promise(r => setTimeout(r, 100));
          }
        }
      })().catch((e) => { console.log('ERROR ' + e.constructor.name + ': ' + e.message); process.exit(1); });
      """;
}
