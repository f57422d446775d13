package io.sparkexec.e2e;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import io.sparkexec.testing.TestVenueSim;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #15: the venue (the simulator's jar, VENUE=http) is killed with SIGKILL under a steady
 * stream of orders and is back on the same port and its own journal 15 s later. On the default
 * in-doubt settings every order the executor answered for ends FILLED, as at the venue: none
 * given up (0 rejected), none lost, none created twice at the venue.
 */
@ExtendWith(LogCapturingExtension.class)
class VenueOutageIT {

  private static final Duration OUTAGE = Duration.ofSeconds(15);
  private static final Duration SETTLE = Duration.ofSeconds(120);
  /** Per client thread; two threads: about 20 orders a second. */
  private static final long PERIOD_MS = 100;

  @TempDir
  Path dataDir;

  private final Set<String> promised = ConcurrentHashMap.newKeySet();
  private final Set<String> answeredInDoubt = ConcurrentHashMap.newKeySet();
  private final Set<String> refused = ConcurrentHashMap.newKeySet();
  private final AtomicInteger sent = new AtomicInteger();

  @Test
  void aFifteenSecondVenueOutageEndsWithEveryOrderFilledOnce() throws Exception {
    TestVenueSim sim = TestVenueSim.launchJar(dataDir.resolve("sim"), Map.of());
    int simPort = sim.port();
    TestServer executor = TestServer.inProcess(dataDir.resolve("executor"), ConfigFactory.parseMap(Map.of(
        "spark.venue.kind", "http", "spark.venue.http.url", sim.url())));
    ScheduledExecutorService clients = Executors.newScheduledThreadPool(2);
    try {
      for (int t = 0; t < 2; t++) {
        int thread = t;
        AtomicInteger n = new AtomicInteger();
        clients.scheduleAtFixedRate(() -> place(executor, "out-" + thread + "-" + n.getAndIncrement()), 0, PERIOD_MS, TimeUnit.MILLISECONDS);
      }
      await("orders before the outage").atMost(Duration.ofSeconds(60)).until(() -> promised.size() >= 20);

      sim.kill9();
      long downAt = System.nanoTime();
      int promisedAtKill = promised.size();
      // the outage is the scenario's own length; the stream goes on meanwhile
      await("a " + OUTAGE.toSeconds() + "-s outage").atMost(OUTAGE.plusSeconds(30)).pollInterval(Duration.ofMillis(200))
          .until(() -> System.nanoTime() - downAt >= OUTAGE.toNanos());
      int takenDuringOutage = promised.size() - promisedAtKill;
      sim = TestVenueSim.launchJar(dataDir.resolve("sim"), Map.of("SIM_PORT", String.valueOf(simPort)));
      int promisedAtRecovery = promised.size();
      await("orders after the recovery").atMost(Duration.ofSeconds(60)).until(() -> promised.size() >= promisedAtRecovery + 20);
      clients.shutdown();
      assertTrue(clients.awaitTermination(60, TimeUnit.SECONDS), "client threads did not stop");

      verify(executor, sim, takenDuringOutage, System.nanoTime());
    } finally {
      clients.shutdownNow();
      executor.close();
      sim.close();
    }
  }

  private void place(TestServer executor, String id) {
    sent.incrementAndGet();
    String body = json("clientOrderId", id, "symbol", "BTCUSDT", "side", sent.get() % 2 == 0 ? "BUY" : "SELL", "type", "MARKET",
        "quantity", "0.001", "strategy", "outage-it", "respType", sent.get() % 3 == 0 ? "ACCEPTED" : null);
    try {
      Response r = executor.placeOrder(body);
      if (r.status() == 200 || r.status() == 202) {
        promised.add(id);
        if (r.json().path("status").asText().equals("IN_DOUBT")) answeredInDoubt.add(id);
      } else {
        refused.add(id + " " + r.status() + " " + r.json().path("code").asText());
      }
    } catch (UncheckedIOException e) {
      refused.add(id + " " + e);
    }
  }

  private void verify(TestServer executor, TestVenueSim sim, int takenDuringOutage, long streamStoppedAt) {
    assertTrue(takenDuringOutage > 0, "the executor took orders while the venue was down");
    await("every order filled, as at the venue").atMost(SETTLE).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      List<String> open = new ArrayList<>();
      for (String id : promised) {
        Response mine = executor.getOrder(id);
        assertEquals(200, mine.status(), () -> "an answered order is gone: " + id + " " + mine);
        String status = mine.json().path("status").asText();
        assertTrue(!status.equals("REJECTED") && !status.equals("CANCELED") && !status.equals("EXPIRED"),
            () -> id + " ended " + status + ": " + mine.json().path("reason"));
        if (!status.equals("FILLED")) open.add(id + "=" + status);
      }
      assertTrue(open.isEmpty(), () -> open.size() + " not filled yet: " + open.subList(0, Math.min(10, open.size())));
    });
    long settledMs = (System.nanoTime() - streamStoppedAt) / 1_000_000;
    List<String> notAtVenue = new ArrayList<>();
    for (String id : promised) {
      Response theirs = sim.query("BTCUSDT", id);
      if (theirs.status() != 200 || !theirs.json().path("status").asText().equals("FILLED")) notAtVenue.add(id + " " + theirs);
    }
    assertTrue(notAtVenue.isEmpty(), () -> "filled here, not at the venue: " + notAtVenue.subList(0, Math.min(5, notAtVenue.size())));
    List<String> twice = new ArrayList<>();
    sim.get("/sim/submissions").json().fields().forEachRemaining(e -> {
      if (e.getValue().asInt() > 1) twice.add(e.getKey() + "=" + e.getValue());
    });
    assertTrue(twice.isEmpty(), () -> "created more than once at the venue: " + twice);
    JsonNode stuck = executor.get("/api/private/open-orders").json().path("orders");
    assertEquals(0, stuck.size(), () -> "left open: " + stuck);
    System.out.printf("[VenueOutageIT] sent=%d answered=%d (during the outage %d, answered IN_DOUBT %d) refused=%d%s, all FILLED once, %d ms after the stream stopped%n",
        sent.get(), promised.size(), takenDuringOutage, answeredInDoubt.size(), refused.size(),
        refused.isEmpty() ? "" : " e.g. " + refused.iterator().next(), settledMs);
  }
}
