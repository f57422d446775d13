package io.sparkexec.e2e;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real server process with its signal consumer running is killed with SIGKILL while signals
 * are being turned into orders, three times, and restarted on the same journal: in the end every
 * signal became exactly one order (clientOrderId = job id, no other order), none was lost or
 * dead-lettered, and the redeliveries the kills caused are reported.
 */
@ExtendWith(LogCapturingExtension.class)
class SignalCrashIT {

  private static final int ROUNDS = 3;
  private static final int PER_ROUND = 100;
  private static final int BATCH = 10;
  /** Orders made in a round before its kill: the kill lands while the consumer is busy. */
  private static final int ORDERED_BEFORE_KILL = 20;
  /** Claims cut by a kill come back after 3 s; retries back off at most 1 s; metrics tick each second. */
  private static final Map<String, String> ENV = Map.of("QUEUE_CONSUMER_VISIBILITY_MS", "3000", "QUEUE_CONSUMER_MAX_RETRY_BACKOFF_MS", "1000",
      "QUEUE_CONSUMER_PARALLELISM", "4", "QUEUE_CONSUMER_CLAIM_BATCH", "8", "METRICS_TICK_INTERVAL", "1 second");
  private static final Duration WAIT = Duration.ofSeconds(180);

  @TempDir
  Path dataDir;

  @Test
  void everySignalBecomesExactlyOneOrderAcrossKillNines() throws Exception {
    List<String> jobs = new ArrayList<>();
    TestServer server = TestServer.launchJar(dataDir, ENV);
    try {
      for (int round = 1; round <= ROUNDS; round++) {
        int before = openOrders(server).size();
        List<String> roundJobs = new ArrayList<>();
        for (int i = 0; i < PER_ROUND; i++) roundJobs.add("sig-" + round + "-" + i);
        for (int i = 0; i < PER_ROUND; i += BATCH) enqueue(server, roundJobs.subList(i, i + BATCH));
        jobs.addAll(roundJobs);
        TestServer s = server;
        await("orders before kill " + round).atMost(WAIT).until(() -> openOrders(s).size() >= before + ORDERED_BEFORE_KILL);
        JsonNode stats = server.get("/api/private/queue/stats").json();
        server.kill9();
        System.out.printf("[SignalCrashIT] kill %d: %d signals enqueued, at least %d orders, queue at the kill: %s%n", round, jobs.size(),
            before + ORDERED_BEFORE_KILL, stats);
        server = TestServer.launchJar(dataDir, ENV);
        // a batch cut by the kill may or may not be journaled: enqueue is idempotent by job id, so send all again
        for (int i = 0; i < PER_ROUND; i += BATCH) enqueue(server, roundJobs.subList(i, i + BATCH));
      }
      TestServer last = server;
      await("queue drained").atMost(WAIT).until(() -> {
        JsonNode s = last.get("/api/private/queue/stats").json();
        return s.get("ready").asInt() == 0 && s.get("inFlight").asInt() == 0;
      });
      // the log spans every process (metrics restart at 0 with each): claims the kills cut off came back
      // released by the expiry ("visibility timeout expired") and were delivered again
      List<String> log = Files.readAllLines(dataDir.resolve("server.log"));
      long redeliveries = log.stream().filter(l -> l.contains("event=queue_job_released")).count();
      long claimLost = log.stream().filter(l -> l.contains("event=signal_claim_lost")).count();

      List<String> orderIds = openOrders(server);
      Map<String, Integer> perJob = new HashMap<>();
      for (String id : orderIds) perJob.merge(id, 1, Integer::sum);
      List<String> missing = jobs.stream().filter(j -> !perJob.containsKey(j)).toList();
      List<String> doubled = perJob.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
      Set<String> strangers = new TreeSet<>(perJob.keySet());
      jobs.forEach(strangers::remove);
      JsonNode dead = server.get("/api/private/queue/dead-letters").json();
      System.out.printf("[SignalCrashIT] %d signals, %d orders (%d distinct), missing=%d doubled=%d others=%d, dead letters=%d,"
          + " redeliveries=%d, acks after an expired claim=%d%n", jobs.size(), orderIds.size(), perJob.size(), missing.size(), doubled.size(),
          strangers.size(), dead.get("count").asInt(), redeliveries, claimLost);
      assertEquals(List.of(), missing, "every signal became an order");
      assertEquals(List.of(), doubled, "no signal became two orders");
      assertEquals(Set.of(), strangers, "no order but the signals'");
      assertEquals(ROUNDS * PER_ROUND, orderIds.size());
      assertEquals(0, dead.get("count").asInt(), dead::toString);
      // each kill lands with a backlog, so claims were in flight: they must have come back
      assertTrue(redeliveries > 0, "the kills cut claims off, and they were delivered again");
      for (String id : List.of(jobs.get(0), jobs.get(jobs.size() - 1))) {
        assertEquals("crash", server.getOrder(id).json().get("strategy").asText());
      }
    } finally {
      server.close();
    }
  }

  private static void enqueue(TestServer server, List<String> ids) {
    StringBuilder body = new StringBuilder("{\"jobs\":[");
    for (int i = 0; i < ids.size(); i++) {
      if (i > 0) body.append(',');
      body.append("{\"job\":\"").append(ids.get(i)).append("\",\"data\":").append(json("symbol", "BTCUSDT", "side", "BUY", "type", "LIMIT",
          "quantity", "0.01", "price", "1000.00", "strategy", "crash")).append('}');
    }
    try {
      Response r = server.post("/api/private/queue/enqueue", body.append("]}").toString());
      assertTrue(r.status() == 200, r::toString);
    } catch (UncheckedIOException e) {
      throw new AssertionError("enqueue failed", e);
    }
  }

  /** The clientOrderIds of the open orders, as listed (a duplicate would be listed twice). */
  private static List<String> openOrders(TestServer server) {
    Response r = server.get("/api/private/open-orders");
    assertEquals(200, r.status(), r::toString);
    List<String> ids = new ArrayList<>();
    for (JsonNode o : r.json().get("orders")) ids.add(o.get("clientOrderId").asText());
    return ids;
  }
}
