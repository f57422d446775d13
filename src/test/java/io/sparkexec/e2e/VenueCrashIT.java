package io.sparkexec.e2e;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import io.sparkexec.testing.TestVenueSim;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both processes real: the executor ({@code serve}, VENUE=http) and the venue simulator
 * ({@code venue-sim}), each from the shaded jar with its own temp dir and free port. Under a
 * steady stream of orders the executor is killed with SIGKILL twice and the simulator once
 * (while the executor keeps running, so orders in flight lose their answers and go in doubt);
 * each is restarted on its own data. At the end every order that was answered 200/202 (and
 * every cut-off one, retried with the same clientOrderId as a client would) is in a final or
 * open state that matches the venue's, no order is left in doubt, and the simulator created no
 * clientOrderId twice.
 */
@ExtendWith(LogCapturingExtension.class)
class VenueCrashIT {

  private static final int THREADS = 3;
  /** Orders answered 200/202 in a round before its kill (the stream keeps going meanwhile). */
  private static final int ANSWERED_BEFORE_KILL = 25;
  private static final Duration SETTLE = Duration.ofSeconds(60);

  @TempDir
  Path dataDir;

  /** Every order sent: clientOrderId -> body, for the idempotent retry of cut-off calls. */
  private final Map<String, String> bodies = new ConcurrentHashMap<>();
  /** Orders the executor answered 200/202 for. */
  private final Set<String> promised = ConcurrentHashMap.newKeySet();
  /** Place calls cut off by a kill: nobody was told; the client retries them. */
  private final Set<String> unanswered = ConcurrentHashMap.newKeySet();
  private final AtomicInteger inDoubtAnswers = new AtomicInteger();
  private final AtomicInteger errors = new AtomicInteger();
  private int corrections;
  private int retried;

  @Test
  void everyAnsweredOrderMatchesTheVenueAfterKillNineOfBoth() throws Exception {
    long t0 = System.nanoTime();
    TestVenueSim sim = TestVenueSim.launchJar(dataDir.resolve("sim"), Map.of());
    Map<String, String> env = Map.of(
        "VENUE", "http",
        "VENUE_URL", sim.url(),
        "ORDER_IN_DOUBT_CHECK_MS", "200",
        "RECONCILIATION_RETRY_MIN", "200",
        "RECONCILIATION_RETRY_MAX", "1000");
    Path executorDir = dataDir.resolve("executor");
    TestServer executor = TestServer.launchJar(executorDir, env);
    try {
      streamAndThen(executor, 1, executor::kill9);
      executor = restart(executorDir, env);

      TestVenueSim dying = sim;
      streamAndThen(executor, 2, dying::kill9);
      // the executor keeps running against a dead venue for a moment: its in-flight orders go in doubt
      placeWhileVenueIsDown(executor);
      sim = TestVenueSim.launchJar(dataDir.resolve("sim"), Map.of("SIM_PORT", String.valueOf(dying.port())));

      streamAndThen(executor, 3, executor::kill9);
      executor = restart(executorDir, env);

      retryCutOff(executor);
      verify(executor, sim);
      System.out.printf("[VenueCrashIT] done in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    } finally {
      executor.close();
      sim.close();
    }
  }

  private TestServer restart(Path executorDir, Map<String, String> env) {
    long t = System.nanoTime();
    TestServer executor = TestServer.launchJar(executorDir, env);
    JsonNode report = executor.get("/api/private/reconciliation").json();
    int n = 0;
    for (JsonNode c : report.path("corrections")) n += c.asInt();
    corrections += n;
    System.out.printf("[VenueCrashIT] executor restarted, ready in %d ms; reconciliation: checked=%d corrections=%s external=%d attempts=%d%n",
        (System.nanoTime() - t) / 1_000_000, report.path("checked").asInt(), report.path("corrections"), report.path("externalOrders").size(),
        report.path("attempts").asInt());
    return executor;
  }

  /** Places orders from several threads until enough are answered, then runs {@code kill} mid-stream. */
  private void streamAndThen(TestServer executor, int round, Runnable kill) throws InterruptedException {
    AtomicBoolean killing = new AtomicBoolean();
    AtomicInteger answered = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      pool.execute(() -> {
        for (int i = 0; !killing.get(); i++) {
          String id = "vc-" + round + "-" + thread + "-" + i;
          if (place(executor, id, order(id, i), killing)) answered.incrementAndGet();
        }
      });
    }
    try {
      await("answers in round " + round).atMost(Duration.ofSeconds(90)).until(() -> answered.get() >= ANSWERED_BEFORE_KILL || errors.get() > 20);
    } finally {
      killing.set(true);
      kill.run();
      pool.shutdown();
      assertTrue(pool.awaitTermination(90, TimeUnit.SECONDS), "order threads did not stop");
    }
    System.out.printf("[VenueCrashIT] round %d: %d answered, then the kill; promised so far %d, cut off %d%n", round, answered.get(),
        promised.size(), unanswered.size());
  }

  private void placeWhileVenueIsDown(TestServer executor) {
    for (int i = 0; i < 6; i++) {
      String id = "vc-down-" + i;
      // answered at ACCEPTED (even i): nothing waits for a venue that is not there
      place(executor, id, order(id, 2 * i), new AtomicBoolean());
    }
  }

  /** True when answered 200/202; a call cut off by a kill is remembered for the retry. */
  private boolean place(TestServer executor, String id, String body, AtomicBoolean killing) {
    bodies.put(id, body);
    try {
      Response r = executor.placeOrder(body);
      if (r.status() == 200 || r.status() == 202) {
        promised.add(id);
        unanswered.remove(id);
        if (r.json().path("status").asText().equals("IN_DOUBT")) inDoubtAnswers.incrementAndGet();
        return true;
      }
      if (r.status() == 503) {
        unanswered.add(id); // not ready or outcome unknown: the client comes back with the same id
        return false;
      }
      errors.incrementAndGet();
      System.out.printf("[VenueCrashIT] %s -> %s%n", id, r);
    } catch (UncheckedIOException e) {
      unanswered.add(id);
      if (!killing.get()) errors.incrementAndGet();
    }
    return false;
  }

  /** A client retries every call that got no answer, with the same clientOrderId and body. */
  private void retryCutOff(TestServer executor) {
    retried = unanswered.size();
    for (String id : List.copyOf(unanswered)) {
      await("retry of " + id).atMost(SETTLE).until(() -> place(executor, id, bodies.get(id), new AtomicBoolean()));
    }
  }

  /** Market orders fill at once; limit BUYs far below the market rest; half answer at ACCEPTED. */
  private static String order(String id, int i) {
    String respType = i % 2 == 0 ? "ACCEPTED" : null;
    if (i % 4 < 2) {
      return json("clientOrderId", id, "symbol", "BTCUSDT", "side", i % 8 < 4 ? "BUY" : "SELL", "type", "MARKET", "quantity", "0.001",
          "respType", respType);
    }
    return json("clientOrderId", id, "symbol", "BTCUSDT", "side", "BUY", "type", "LIMIT", "quantity", "0.01", "price", "1000.00",
        "timeInForce", "GTC", "strategy", "vc", "respType", respType);
  }

  private void verify(TestServer executor, TestVenueSim sim) {
    await("every order settled and matching the venue").atMost(SETTLE).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      List<String> mismatches = new ArrayList<>();
      for (String id : promised) {
        Response mine = executor.getOrder(id);
        assertEquals(200, mine.status(), () -> "an answered order is gone: " + id + " " + mine);
        String status = mine.json().path("status").asText();
        Response theirs = sim.query("BTCUSDT", id);
        String venueStatus = theirs.status() == 200 ? theirs.json().path("status").asText() : "ABSENT";
        if (!matches(status, venueStatus)) mismatches.add(id + ": executor " + status + ", venue " + venueStatus);
        else if (theirs.status() == 200 && qty(mine.json()).compareTo(qty(theirs.json())) != 0) {
          mismatches.add(id + ": executed " + qty(mine.json()) + " here, " + qty(theirs.json()) + " at the venue");
        }
      }
      assertTrue(mismatches.isEmpty(), () -> mismatches.size() + " orders differ from the venue: " + mismatches.subList(0, Math.min(10, mismatches.size())));
    });
    for (JsonNode o : executor.get("/api/private/open-orders").json().path("orders")) {
      assertTrue(!o.path("status").asText().equals("IN_DOUBT"), () -> "left in doubt: " + o);
    }
    JsonNode submissions = sim.get("/sim/submissions").json();
    List<String> twice = new ArrayList<>();
    int[] created = {0};
    submissions.fields().forEachRemaining(e -> {
      created[0] += e.getValue().asInt();
      if (e.getValue().asInt() > 1) twice.add(e.getKey() + "=" + e.getValue());
    });
    assertTrue(twice.isEmpty(), "created more than once at the venue: " + twice);
    int[] attempts = {0};
    sim.get("/sim/attempts").json().fields().forEachRemaining(e -> attempts[0] += e.getValue().asInt());
    System.out.printf("[VenueCrashIT] orders=%d (answered in doubt=%d, cut off and retried=%d) venueCreated=%d attempts=%d retries=%d"
        + " corrections=%d errors=%d%n", promised.size(), inDoubtAnswers.get(), retried, created[0],
        attempts[0], attempts[0] - created[0], corrections, errors.get());
    assertEquals(0, errors.get(), "errors other than those the kills caused");
  }

  /** The executor's status and the venue's agree; an order the venue refused was never created there. */
  private static boolean matches(String mine, String venue) {
    return switch (mine) {
      case "ACKNOWLEDGED" -> venue.equals("NEW");
      case "PARTIALLY_FILLED", "FILLED", "CANCELED", "EXPIRED" -> venue.equals(mine);
      case "REJECTED" -> venue.equals("ABSENT") || venue.equals("REJECTED");
      default -> false; // ACCEPTED, IN_DOUBT: not settled yet
    };
  }

  private static BigDecimal qty(JsonNode order) {
    return new BigDecimal(order.path("executedQty").asText("0"));
  }
}
