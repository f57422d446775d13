package io.sparkexec.venue.sim;

import static io.sparkexec.testing.TestVenueSim.limitOrder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.testing.TestServer.Response;
import io.sparkexec.testing.TestVenueSim;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real simulator process ({@code java -jar target/spark-executor.jar venue-sim}) is killed
 * with SIGKILL in the middle of a stream of place calls, twice, and restarted on the same
 * ledger: every order it answered is still there with the same orderId and state, and no
 * clientOrderId (answered or cut off by the kill) is ever created twice, however often it is
 * resubmitted.
 */
@ExtendWith(LogCapturingExtension.class)
class VenueSimKillNineIT {

  private static final int KILLS = 2;
  private static final int THREADS = 3;
  /** Orders answered in a round before the kill (the stream keeps going meanwhile). */
  private static final int ANSWERED_BEFORE_KILL = 150;

  @TempDir
  Path dataDir;

  /** Every answered order: clientOrderId -> its answer. */
  private final Map<String, JsonNode> answered = new ConcurrentHashMap<>();
  /** Place calls cut off by the kill: created or not, nobody was told. */
  private final Set<String> unanswered = ConcurrentHashMap.newKeySet();
  private final AtomicInteger cutOffByKills = new AtomicInteger();

  @Test
  void noClientOrderIdIsCreatedTwiceAcrossKillNine() throws Exception {
    TestVenueSim sim = TestVenueSim.launchJar(dataDir, Map.of());
    int resubmitted = 0;
    try {
      for (int round = 1; round <= KILLS; round++) {
        streamOrdersAndKill(sim, round);
        sim = TestVenueSim.launchJar(dataDir, Map.of());
        resubmitted += checkAndResubmit(sim);
      }
      JsonNode submissions = sim.get("/sim/submissions").json();
      List<String> twice = new ArrayList<>();
      submissions.fields().forEachRemaining(e -> {
        if (e.getValue().asInt() != 1) twice.add(e.getKey() + "=" + e.getValue());
      });
      assertTrue(twice.isEmpty(), "created more than once: " + twice);
      for (String id : answered.keySet()) assertEquals(1, submissions.path(id).asInt(0), id);
      System.out.printf("[VenueSimKillNineIT] kills=%d answered=%d cutOffByKill=%d resubmitted=%d created=%d attemptsRecorded=%d%n",
          KILLS, answered.size(), cutOffByKills.get(), resubmitted, submissions.size(), sim.get("/sim/attempts").json().size());
    } finally {
      sim.close();
    }
  }

  /** Several clients place orders until enough are answered, then the process is killed under them. */
  private void streamOrdersAndKill(TestVenueSim sim, int round) throws Exception {
    AtomicBoolean killed = new AtomicBoolean();
    AtomicInteger answeredThisRound = new AtomicInteger();
    ExecutorService clients = Executors.newFixedThreadPool(THREADS);
    List<Future<?>> running = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      running.add(clients.submit(() -> {
        for (int n = 0; ; n++) {
          String id = "k" + round + "-" + thread + "-" + n;
          Map<String, String> order = n % 3 == 0 ? market(id) : limitOrder(id, "BTCUSDT", "BUY", "0.01000", "1000.00");
          try {
            Response r = sim.place(order);
            if (r.status() != 200) throw new AssertionError(id + ": " + r);
            answered.put(id, r.json());
            answeredThisRound.incrementAndGet();
          } catch (UncheckedIOException e) {
            if (!killed.get()) throw e;
            unanswered.add(id);
            cutOffByKills.incrementAndGet();
            return null;
          }
        }
      }));
    }
    while (answeredThisRound.get() < ANSWERED_BEFORE_KILL) {
      for (Future<?> f : running) if (f.isDone()) f.get();
      Thread.onSpinWait();
    }
    killed.set(true);
    sim.kill9();
    for (Future<?> f : running) f.get(60, TimeUnit.SECONDS);
    clients.shutdown();
    System.out.printf("[VenueSimKillNineIT] round %d: answered=%d cutOff=%d%n", round, answeredThisRound.get(), unanswered.size());
  }

  /** After the restart: answered orders are as answered; resubmitting anything returns the existing order. */
  private int checkAndResubmit(TestVenueSim sim) {
    int resubmitted = 0;
    for (Map.Entry<String, JsonNode> e : answered.entrySet()) {
      JsonNode before = e.getValue();
      Response found = sim.query(before.get("symbol").asText(), e.getKey());
      assertEquals(200, found.status(), e.getKey() + ": " + found);
      assertEquals(before.get("orderId").asLong(), found.json().get("orderId").asLong(), e.getKey());
      assertEquals(before.get("executedQty").asText(), found.json().get("executedQty").asText(), e.getKey());
    }
    for (String id : unanswered) {
      Response again = sim.place(isMarket(id) ? market(id) : limitOrder(id, "BTCUSDT", "BUY", "0.01000", "1000.00"));
      assertEquals(200, again.status(), id + ": " + again);
      answered.put(id, again.json());
      resubmitted++;
    }
    unanswered.clear();
    for (Map.Entry<String, JsonNode> e : answered.entrySet()) {
      String id = e.getKey();
      Response again = sim.place(isMarket(id) ? market(id) : limitOrder(id, "BTCUSDT", "BUY", "0.01000", "1000.00"));
      assertEquals(200, again.status(), id + ": " + again);
      assertEquals(e.getValue().get("orderId").asLong(), again.json().get("orderId").asLong(), id);
      resubmitted++;
    }
    return resubmitted;
  }

  private static boolean isMarket(String id) {
    return Long.parseLong(id.substring(id.lastIndexOf('-') + 1)) % 3 == 0;
  }

  private static Map<String, String> market(String id) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("symbol", "BTCUSDT");
    m.put("side", "BUY");
    m.put("type", "MARKET");
    m.put("quantity", "0.01000");
    m.put("newClientOrderId", id);
    return m;
  }
}
