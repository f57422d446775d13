package io.sparkexec.queue;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue API with two strategy-bound keys (alpha, beta) and an unscoped admin: each scoped key
 * claims, acks, nacks, lists, purges and redrives only its own strategy's jobs; the queue's depth and
 * dead letters are bounded; purge, redrive and retention survive a restart on the same journal.
 * The tests run in order on one server and leave the queue empty of ready and in-flight jobs.
 */
@ExtendWith(LogCapturingExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScopedQueueIT {

  private static final String Q = "/api/private/queue/";
  private static final String ADMIN = "admin-dev-key";
  private static final String ALPHA = "alpha-key";
  private static final String BETA = "beta-key";
  private static final int MAX_DEPTH = 12;
  private static final int MAX_DEAD_LETTERS = 5;

  // one delivery: a nack dead-letters at once; no consumer: the jobs wait for the test
  private static final Config OVERRIDES = ConfigFactory.parseString("""
      spark.auth.keys = [
        { key = "admin-dev-key", role = "admin", name = "dev-admin" }
        { key = "alpha-key", role = "trader", name = "alpha-bot", strategies = ["alpha"] }
        { key = "beta-key", role = "trader", name = "beta-bot", strategies = ["beta"] }
      ]
      spark.queue.max-deliveries = 1
      spark.queue.max-depth = %d
      spark.queue.max-dead-letters = %d
      spark.queue.snapshot-every = 4
      spark.queue.consumer.enabled = false
      """.formatted(MAX_DEPTH, MAX_DEAD_LETTERS));

  @TempDir
  static Path dataDir;

  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.inProcess(dataDir, OVERRIDES);
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  @Test
  @Order(1)
  void aScopedKeyClaimsAcksAndNacksOnlyItsOwnStrategysJobs() {
    assertEquals(200, send(BETA, "POST", "enqueue", batch("b1", "beta", "b2", "beta", "b3", "beta")).status());
    assertEquals(200, send(ALPHA, "POST", "enqueue", batch("a1", "alpha")).status());

    // the F3 reproduction: alpha asks for everything for 12 h and gets only its own job
    Response alphaClaim = send(ALPHA, "POST", "claim?max=500&visibilityMs=43200000", null);
    assertEquals(200, alphaClaim.status(), alphaClaim::toString);
    assertEquals(List.of("a1"), ids(alphaClaim.json().get("jobs")));
    assertEquals(List.of(), ids(send(ALPHA, "POST", "claim?max=500", null).json().get("jobs")));

    JsonNode betaJobs = send(BETA, "POST", "claim?max=2", null).json().get("jobs");
    assertEquals(List.of("b1", "b2"), ids(betaJobs));
    String betaToken = betaJobs.get(0).get("claim").asText();

    // beta's job with beta's valid token, sent by alpha: the answer an unknown job gets
    Response foreignAck = send(ALPHA, "POST", "ack", json("job", "b1", "claim", betaToken));
    Response unknownAck = send(ALPHA, "POST", "ack", json("job", "no-such-job", "claim", betaToken));
    assertEquals(404, foreignAck.status(), foreignAck::toString);
    assertEquals("JOB_NOT_FOUND", code(foreignAck));
    assertEquals(unknownAck.status(), foreignAck.status());
    assertEquals(code(unknownAck), code(foreignAck));
    Response foreignNack = send(ALPHA, "POST", "nack", json("job", "b2", "claim", betaToken, "error", "x"));
    assertEquals(404, foreignNack.status(), foreignNack::toString);
    assertFalse(foreignNack.text().contains("beta"), foreignNack::toString);

    // beta's jobs were left as they were: beta still holds both
    assertEquals(200, send(BETA, "POST", "ack", json("job", "b1", "claim", betaToken)).status());
    assertEquals(200, send(BETA, "POST", "ack", json("job", "b2", "claim", betaToken)).status());
    assertEquals(200, send(ALPHA, "POST", "ack", json("job", "a1", "claim", alphaClaim.json().get("jobs").get(0).get("claim").asText())).status());
    // the unscoped admin claims every strategy's
    JsonNode adminJobs = send(ADMIN, "POST", "claim?max=10", null).json().get("jobs");
    assertEquals(List.of("b3"), ids(adminJobs));
    assertEquals(200, send(ADMIN, "POST", "ack", json("job", "b3", "claim", adminJobs.get(0).get("claim").asText())).status());
  }

  @Test
  @Order(2)
  void claimsAreBoundedInVisibilityAndCount() {
    Response longer = send(ALPHA, "POST", "claim?visibilityMs=43200001", null);
    assertEquals(400, longer.status(), longer::toString);
    assertEquals("visibilityMs", longer.json().get("error").get("field").asText());
    Response more = send(ALPHA, "POST", "claim?max=501", null);
    assertEquals(400, more.status(), more::toString);
    assertEquals("max", more.json().get("error").get("field").asText());
  }

  @Test
  @Order(3)
  void anEnqueuePastMaxDepthAnswers429WithRetryAfterAndEnqueuesNothing() {
    List<String> filler = new ArrayList<>();
    for (int i = 0; i < MAX_DEPTH; i++) filler.addAll(List.of("fill" + i, "alpha"));
    assertEquals(200, send(ALPHA, "POST", "enqueue", batch(filler.toArray(String[]::new))).status());

    Response full = send(BETA, "POST", "enqueue", batch("over1", "beta"));
    assertEquals(429, full.status(), full::toString);
    assertEquals("QUEUE_FULL", code(full));
    assertTrue(full.header("Retry-After").isPresent(), full::toString);
    assertEquals(MAX_DEPTH, stats().get("ready").asInt());

    // drain: claimed and acked jobs make room again
    JsonNode jobs = send(ALPHA, "POST", "claim?max=" + MAX_DEPTH, null).json().get("jobs");
    for (JsonNode j : jobs) assertEquals(200, send(ALPHA, "POST", "ack", json("job", j.get("job").asText(), "claim", j.get("claim").asText())).status());
    assertEquals(200, send(BETA, "POST", "enqueue", batch("over1", "beta")).status());
    JsonNode over = send(BETA, "POST", "claim", null).json().get("jobs").get(0);
    assertEquals(200, send(BETA, "POST", "ack", json("job", "over1", "claim", over.get("claim").asText())).status());
  }

  @Test
  @Order(4)
  void deadLettersAreScopedPagedAndBounded() {
    // da0 is the oldest and is dropped when the sixth arrives
    for (String[] job : List.of(new String[] {"da0", "alpha"}, new String[] {"da1", "alpha"}, new String[] {"da2", "alpha"},
        new String[] {"da3", "alpha"}, new String[] {"db1", "beta"}, new String[] {"db2", "beta"})) {
      deadLetter(job[0], job[1]);
    }
    assertEquals(List.of("da1", "da2", "da3", "db1", "db2"), allDeadLetters(ADMIN));
    assertEquals(List.of("da1", "da2", "da3"), allDeadLetters(ALPHA));
    assertEquals(List.of("db1", "db2"), allDeadLetters(BETA));
    Response betaPage = send(BETA, "GET", "dead-letters", null);
    assertEquals(2, betaPage.json().get("total").asInt());
    assertFalse(betaPage.text().contains("alpha"), betaPage::toString);

    Response badCursor = send(ALPHA, "GET", "dead-letters?cursor=zzz", null);
    assertEquals(400, badCursor.status(), badCursor::toString);
    assertEquals("cursor", badCursor.json().get("error").get("field").asText());
    assertEquals("limit", send(ALPHA, "GET", "dead-letters?limit=0", null).json().get("error").get("field").asText());

    await("the drop is counted").atMost(Duration.ofSeconds(30))
        .until(() -> TestServer.metricValue(server.metrics(), "spark_queue_dead_letters_dropped_total", "") >= 1);
  }

  @Test
  @Order(5)
  void purgeAndRedriveTakeOnlyTheKeysOwnDeadLettersAndSurviveARestart() {
    // beta may not purge or redrive alpha's: not found, and nothing changes
    Response foreignPurge = send(BETA, "DELETE", "dead-letters?ids=da1", null);
    assertEquals(200, foreignPurge.status(), foreignPurge::toString);
    assertEquals(List.of(), strings(foreignPurge.json().get("jobs")));
    assertEquals(List.of("da1"), strings(foreignPurge.json().get("notFound")));
    assertEquals(List.of(), strings(send(BETA, "POST", "dead-letters/redrive?strategy=alpha", null).json().get("jobs")));
    assertEquals(List.of(), strings(send(BETA, "DELETE", "dead-letters?strategy=alpha", null).json().get("jobs")));
    assertEquals(List.of("da1", "da2", "da3"), allDeadLetters(ALPHA));

    Response purged = send(ALPHA, "DELETE", "dead-letters?ids=da1,da2", null);
    assertEquals(List.of("da1", "da2"), strings(purged.json().get("jobs")), purged::toString);
    Response redriven = send(ADMIN, "POST", "dead-letters/redrive?strategy=beta", null);
    assertEquals(List.of("db1", "db2"), strings(redriven.json().get("jobs")), redriven::toString);
    Response badIds = send(ALPHA, "DELETE", "dead-letters?ids=a%20b", null);
    assertEquals(400, badIds.status(), badIds::toString);
    assertEquals("ids", badIds.json().get("error").get("field").asText());

    restart();

    assertEquals(List.of("da3"), allDeadLetters(ADMIN));
    JsonNode stats = stats();
    assertEquals(2, stats.get("ready").asInt(), stats::toString);
    assertEquals(1, stats.get("deadLettered").asInt(), stats::toString);
    // redriven jobs start over: a first delivery, for beta only
    assertEquals(List.of(), ids(send(ALPHA, "POST", "claim?max=5", null).json().get("jobs")));
    JsonNode back = send(BETA, "POST", "claim?max=5", null).json().get("jobs");
    assertEquals(List.of("db1", "db2"), ids(back));
    assertEquals(1, back.get(0).get("delivery").asInt());
    for (JsonNode j : back) assertEquals(200, send(BETA, "POST", "ack", json("job", j.get("job").asText(), "claim", j.get("claim").asText())).status());
    assertEquals(List.of("da3"), strings(send(ADMIN, "DELETE", "dead-letters", null).json().get("jobs")));
    restart();
    assertEquals(List.of(), allDeadLetters(ADMIN));
  }

  /** U2: the method is checked before the key, so a wrong method is 405 with or without one. */
  @Test
  @Order(6)
  void aWrongMethodAnswers405WhateverTheKey() {
    for (String[] c : List.of(new String[] {"PUT", "claim"}, new String[] {"GET", "enqueue"}, new String[] {"DELETE", "stats"},
        new String[] {"GET", "ack"}, new String[] {"PUT", "dead-letters"}, new String[] {"GET", "dead-letters/redrive"})) {
      Response noKey = send(null, c[0], c[1], null);
      assertEquals(405, noKey.status(), () -> c[0] + " " + c[1] + " -> " + noKey);
      assertEquals(405, send("wrong-key", c[0], c[1], null).status(), () -> c[0] + " " + c[1]);
    }
    assertEquals(401, send(null, "GET", "stats", null).status());
  }

  // ---- helpers ----

  private static void restart() {
    server.close();
    server = TestServer.inProcess(dataDir, OVERRIDES);
  }

  /** Enqueued, claimed and nacked by the strategy's own key: with one delivery, straight to the dead letters. */
  private static void deadLetter(String id, String strategy) {
    String key = strategy.equals("alpha") ? ALPHA : BETA;
    assertEquals(200, send(key, "POST", "enqueue", batch(id, strategy)).status());
    JsonNode job = send(key, "POST", "claim", null).json().get("jobs").get(0);
    assertEquals(id, job.get("job").asText());
    Response nack = send(key, "POST", "nack", json("job", id, "claim", job.get("claim").asText(), "error", "bad signal"));
    assertTrue(nack.json().get("deadLettered").asBoolean(), nack::toString);
  }

  /** Every dead letter the key may see, page by page (two a page): each must come exactly once. */
  private static List<String> allDeadLetters(String key) {
    List<String> seen = new ArrayList<>();
    String cursor = null;
    do {
      Response page = send(key, "GET", "dead-letters?limit=2" + (cursor == null ? "" : "&cursor=" + cursor), null);
      assertEquals(200, page.status(), page::toString);
      assertTrue(page.json().get("jobs").size() <= 2, page::toString);
      seen.addAll(ids(page.json().get("jobs")));
      JsonNode next = page.json().get("nextCursor");
      cursor = next == null || next.isNull() ? null : next.asText();
    } while (cursor != null);
    assertEquals(seen.size(), seen.stream().distinct().count(), seen::toString);
    return seen;
  }

  private static JsonNode stats() {
    return send(ADMIN, "GET", "stats", null).json();
  }

  private static Response send(String key, String method, String path, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(server.uri(Q + path)).timeout(Duration.ofSeconds(30));
    if (key != null) b.header("X-API-Key", key);
    if (body != null) b.header("Content-Type", "application/json");
    return server.send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build());
  }

  /** {"jobs":[...]} of id, strategy pairs. */
  private static String batch(String... idsAndStrategies) {
    StringBuilder s = new StringBuilder("{\"jobs\":[");
    for (int i = 0; i < idsAndStrategies.length; i += 2) {
      if (i > 0) s.append(',');
      s.append("{\"job\":\"").append(idsAndStrategies[i]).append("\",\"data\":{\"strategy\":\"").append(idsAndStrategies[i + 1]).append("\"}}");
    }
    return s.append("]}").toString();
  }

  private static String code(Response r) {
    return r.json().get("error").get("code").asText();
  }

  private static List<String> ids(JsonNode jobs) {
    return StreamSupport.stream(jobs.spliterator(), false).map(j -> j.get("job").asText()).toList();
  }

  private static List<String> strings(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
  }
}
