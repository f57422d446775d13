package io.sparkexec.e2e;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real server process ({@code java -jar target/spark-executor.jar serve}) is killed with
 * SIGKILL in the middle of a stream of orders, several times, and restarted on the same
 * journal: every order it answered 200/202 for is still there in the same or a later state,
 * the ones it had only accepted are driven on, and the resting ones are listed as open.
 */
@ExtendWith(LogCapturingExtension.class)
class KillNineIT {

  private static final int KILLS = 3;
  private static final int THREADS = 3;
  /** Orders answered 200/202 in a round before the kill (the stream keeps going meanwhile). */
  private static final int ANSWERED_BEFORE_KILL = 60;
  /** The simulator takes this long to acknowledge, so some orders are only ACCEPTED at the kill. */
  private static final Map<String, String> SLOW_ACKS = Map.of("SIM_ACK_LATENCY_MS", "400");

  @TempDir
  Path dataDir;

  /** The latest state seen of every order the server answered 200/202 for. */
  private final Map<String, JsonNode> known = new ConcurrentHashMap<>();
  /** Orders whose place call got no answer because of the kill: they may or may not exist. */
  private final Set<String> unanswered = ConcurrentHashMap.newKeySet();

  private static final class Counts {
    final AtomicInteger placed = new AtomicInteger();
    final AtomicInteger ok = new AtomicInteger();
    final AtomicInteger accepted = new AtomicInteger();
    final AtomicInteger errors = new AtomicInteger();
    final AtomicInteger cutByKill = new AtomicInteger();

    @Override
    public String toString() {
      return "placed=" + placed + " 200=" + ok + " 202=" + accepted + " errors=" + errors + " (of which cut off by the kill=" + cutByKill + ")";
    }
  }

  @Test
  void ordersSurviveKillNineAndAreDrivenOnAfterRestart() throws Exception {
    Counts total = new Counts();
    int cutOffFound = 0;
    long t0 = System.nanoTime();
    TestServer server = TestServer.launchJar(dataDir, env());
    System.out.printf("[KillNineIT] started in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    try {
      for (int round = 1; round <= KILLS; round++) {
        long t1 = System.nanoTime();
        Counts counts = streamOrdersAndKill(server, round);
        add(total, counts);
        System.out.printf("[KillNineIT] round %d (%d ms): %s%n", round, (System.nanoTime() - t1) / 1_000_000, counts);
        assertTrue(counts.ok.get() + counts.accepted.get() >= ANSWERED_BEFORE_KILL, counts::toString);

        long t2 = System.nanoTime();
        server = TestServer.launchJar(dataDir, env());
        long started = (System.nanoTime() - t2) / 1_000_000;
        AfterRestart after = verifyAfterRestart(server);
        cutOffFound += after.cutOffFound();
        System.out.printf("[KillNineIT] restart %d (ready in %d ms): %d orders checked, %d answered ACCEPTED now acknowledged or final,"
            + " %d of %d cut off by the kill were journaled, %d open%n",
            round, started, known.size(), after.drivenOn(), after.cutOffFound(), counts.cutByKill.get(), openIds(server).size());
      }
      System.out.printf("[KillNineIT] total after %d kills: %s; orders on the journal=%d (%d cut off by a kill were journaled)%n", KILLS,
          total, known.size(), cutOffFound);
      assertEquals(0, total.errors.get() - total.cutByKill.get(), "no errors but those the kills caused: " + total);
    } finally {
      server.close();
    }
  }

  /** The jar's environment: the default LevelDB journal here; KillNinePostgresIT adds JOURNAL=postgres. */
  Map<String, String> env() {
    return SLOW_ACKS;
  }

  /** Places orders from several threads until enough are answered, then kill -9s the server mid-stream. */
  private Counts streamOrdersAndKill(TestServer server, int round) throws InterruptedException {
    String command = server.processHandle().info().command().orElse("java");
    assertTrue(command.endsWith("java"), () -> "the kill must hit the java process itself, not " + command);
    Counts counts = new Counts();
    AtomicInteger killing = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      pool.execute(() -> {
        for (int i = 0; killing.get() == 0; i++) {
          String id = "k9-" + round + "-" + thread + "-" + i;
          counts.placed.incrementAndGet();
          try {
            Response r = server.placeOrder(order(id, i));
            if (r.status() == 200 || r.status() == 202) {
              (r.status() == 200 ? counts.ok : counts.accepted).incrementAndGet();
              known.put(id, r.json());
            } else {
              counts.errors.incrementAndGet();
              System.out.printf("[KillNineIT] %s -> %s%n", id, r);
            }
          } catch (UncheckedIOException e) {
            counts.errors.incrementAndGet();
            if (killing.get() > 0) {
              counts.cutByKill.incrementAndGet();
              unanswered.add(id);
              return;
            }
            System.out.printf("[KillNineIT] %s -> %s%n", id, e.getCause());
          }
        }
      });
    }
    try {
      await("answers before the kill").atMost(Duration.ofSeconds(120))
          .until(() -> counts.ok.get() + counts.accepted.get() >= ANSWERED_BEFORE_KILL || counts.errors.get() > 20);
    } finally {
      killing.set(1);
      server.kill9();
      pool.shutdown();
      assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS), "order threads did not stop");
    }
    return counts;
  }

  /** Mix: market and far-from-the-market (resting) limit orders, answered at ACCEPTED or at the ack. */
  private static String order(String id, int i) {
    String respType = i % 2 == 0 ? "ACCEPTED" : null;
    if (i % 4 < 2) {
      return json("clientOrderId", id, "symbol", "BTCUSDT", "side", i % 8 < 4 ? "BUY" : "SELL", "type", "MARKET", "quantity", "0.001",
          "respType", respType);
    }
    return json("clientOrderId", id, "symbol", "BTCUSDT", "side", "BUY", "type", "LIMIT", "quantity", "0.01", "price", "1000.00",
        "timeInForce", "GTC", "strategy", "k9", "respType", respType);
  }

  /** What a restart showed: answered-ACCEPTED orders now driven on, cut-off orders that did get journaled. */
  private record AfterRestart(int drivenOn, int cutOffFound) {}

  /**
   * Every answered order exists in the same or a later state; orders cut off by a kill exist or
   * not; ACCEPTED ones become acknowledged or final; resting ones are listed as open.
   */
  private AfterRestart verifyAfterRestart(TestServer server) {
    List<String> wereAccepted = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : known.entrySet()) {
      if (status(e.getValue()).equals("ACCEPTED")) wereAccepted.add(e.getKey());
      Response r = server.getOrder(e.getKey());
      assertEquals(200, r.status(), () -> "an answered order is gone after kill -9: " + e.getKey() + " " + r);
      assertNoStepBack(e.getValue(), r.json());
      known.put(e.getKey(), r.json());
    }
    int cutOffFound = 0;
    for (String id : List.copyOf(unanswered)) {
      Response r = server.getOrder(id);
      assertTrue(r.status() == 200 || r.status() == 404, r::toString);
      if (r.status() == 200) {
        cutOffFound++;
        known.put(id, r.json());
        if (status(r.json()).equals("ACCEPTED")) wereAccepted.add(id);
      }
      unanswered.remove(id);
    }

    await("accepted orders driven on after restart").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
      for (String id : wereAccepted) {
        JsonNode now = server.getOrder(id).json();
        assertTrue(!status(now).equals("ACCEPTED"), () -> "still ACCEPTED after restart: " + now);
        assertNoStepBack(known.get(id), now);
        known.put(id, now);
      }
    });

    Set<String> open = openIds(server);
    for (Map.Entry<String, JsonNode> e : known.entrySet()) {
      String s = status(e.getValue());
      if (s.equals("ACKNOWLEDGED") || s.equals("PARTIALLY_FILLED")) {
        assertTrue(open.contains(e.getKey()), () -> "resting order missing from open-orders: " + e.getValue());
      } else {
        assertTrue(!open.contains(e.getKey()), () -> "final order listed as open: " + e.getValue());
      }
    }
    return new AfterRestart(wereAccepted.size(), cutOffFound);
  }

  private static Set<String> openIds(TestServer server) {
    Response r = server.get("/api/private/open-orders?strategy=k9");
    assertEquals(200, r.status(), r::toString);
    Set<String> ids = new HashSet<>();
    for (JsonNode o : r.json().path("orders")) ids.add(o.path("clientOrderId").asText());
    assertEquals(r.json().path("count").asInt(), ids.size());
    return ids;
  }

  private static void assertNoStepBack(JsonNode before, JsonNode now) {
    String id = before.path("clientOrderId").asText();
    assertEquals(id, now.path("clientOrderId").asText());
    assertTrue(rank(status(now)) >= rank(status(before)), () -> id + " went back from " + status(before) + " to " + status(now));
    if (rank(status(before)) == 3) assertEquals(status(before), status(now), () -> id + " left its final state");
    assertTrue(qty(now).compareTo(qty(before)) >= 0, () -> id + " lost executed quantity: " + before + " -> " + now);
    Set<String> tradeIdsNow = new HashSet<>();
    for (JsonNode f : now.path("fills")) tradeIdsNow.add(f.path("tradeId").asText());
    for (JsonNode f : before.path("fills")) {
      assertTrue(tradeIdsNow.contains(f.path("tradeId").asText()), () -> id + " lost fill " + f);
    }
    for (String field : List.of("symbol", "side", "type", "quantity", "price")) {
      assertEquals(before.path(field), now.path(field), () -> id + " changed " + field);
    }
    assertEquals(before.path("timestamps").path("accepted"), now.path("timestamps").path("accepted"), () -> id + " accepted time changed");
  }

  private static String status(JsonNode order) {
    return order.path("status").asText();
  }

  private static BigDecimal qty(JsonNode order) {
    return new BigDecimal(order.path("executedQty").asText("0"));
  }

  private static int rank(String status) {
    return switch (status) {
      case "ACCEPTED" -> 0;
      case "ACKNOWLEDGED" -> 1;
      case "PARTIALLY_FILLED" -> 2;
      case "FILLED", "CANCELED", "REJECTED", "EXPIRED" -> 3;
      default -> throw new AssertionError("unknown status " + status);
    };
  }

  private static void add(Counts total, Counts round) {
    total.placed.addAndGet(round.placed.get());
    total.ok.addAndGet(round.ok.get());
    total.accepted.addAndGet(round.accepted.get());
    total.errors.addAndGet(round.errors.get());
    total.cutByKill.addAndGet(round.cutByKill.get());
  }
}
