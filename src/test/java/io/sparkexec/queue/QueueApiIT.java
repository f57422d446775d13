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
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The queue API over real HTTP on a real journal: the happy path, bad input, and a restart on the same dirs. */
@ExtendWith(LogCapturingExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QueueApiIT {

  private static final String Q = "/api/private/queue/";

  @TempDir
  static Path dataDir;

  static TestServer server;

  // two deliveries, so a job reaches the dead letters after one redelivery; frequent snapshots, so
  // the restart recovers from a real (CBOR, on disk) snapshot plus the events after it
  private static final Config OVERRIDES = ConfigFactory.parseMap(Map.of("spark.queue.max-deliveries", 2, "spark.queue.snapshot-every", 3,
      "spark.queue.consumer.enabled", false));

  @BeforeAll
  static void start() {
    server = TestServer.inProcess(dataDir, OVERRIDES);
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  @Test
  void enqueueClaimAckNackStatsAndDeadLetters() {
    Response one = server.post(Q + "enqueue", "{\"job\":\"h1\",\"data\":{\"symbol\":\"BTCUSDT\",\"score\":0.7}}");
    assertEquals(200, one.status(), one::toString);
    assertEquals(List.of("h1"), strings(one.json().get("accepted")));
    Response again = server.post(Q + "enqueue", "{\"job\":\"h1\",\"data\":{\"other\":1}}");
    assertEquals(List.of("h1"), strings(again.json().get("duplicates")));
    Response batch = server.post(Q + "enqueue", "{\"jobs\":[{\"job\":\"h2\",\"data\":[1,2]},{\"job\":\"h3\",\"data\":\"x\"}]}");
    assertEquals(List.of("h2", "h3"), strings(batch.json().get("accepted")), batch::toString);

    Response claim = server.post(Q + "claim?max=2&visibilityMs=60000", "");
    assertEquals(200, claim.status(), claim::toString);
    JsonNode jobs = claim.json().get("jobs");
    assertEquals("h1", jobs.get(0).get("job").asText());
    assertEquals("BTCUSDT", jobs.get(0).get("data").get("symbol").asText());
    assertEquals(1, jobs.get(0).get("delivery").asInt());
    assertEquals("h2", jobs.get(1).get("job").asText());
    String token = jobs.get(0).get("claim").asText();

    Response ack = server.post(Q + "ack", json("job", "h1", "claim", token));
    assertEquals(200, ack.status(), ack::toString);
    Response ackAgain = server.post(Q + "ack", json("job", "h1", "claim", token));
    // acked: the job is gone, so it is unknown
    assertEquals(404, ackAgain.status());
    assertEquals("JOB_NOT_FOUND", ackAgain.json().get("error").get("code").asText());

    Response nack = server.post(Q + "nack", json("job", "h2", "claim", token, "error", "strategy busy"));
    assertEquals(200, nack.status(), nack::toString);
    assertFalse(nack.json().get("deadLettered").asBoolean());

    // the nacked job went behind h3
    JsonNode second = server.post(Q + "claim?max=5", "").json().get("jobs");
    assertEquals(List.of("h3", "h2"), List.of(second.get(0).get("job").asText(), second.get(1).get("job").asText()));
    assertEquals(2, second.get(1).get("delivery").asInt());
    String token2 = second.get(0).get("claim").asText();
    assertEquals(2, server.get(Q + "stats").json().get("inFlight").asInt());
    Response lastNack = server.post(Q + "nack", json("job", "h2", "claim", token2, "error", "strategy offline"));
    assertTrue(lastNack.json().get("deadLettered").asBoolean(), lastNack::toString);
    assertEquals(200, server.post(Q + "ack", json("job", "h3", "claim", token2)).status());

    JsonNode stats = server.get(Q + "stats").json();
    assertEquals(0, stats.get("ready").asInt());
    assertEquals(0, stats.get("inFlight").asInt());
    assertEquals(1, stats.get("deadLettered").asInt());
    assertTrue(stats.get("oldestReadyAgeSeconds").asLong() >= 0);

    JsonNode dead = server.get(Q + "dead-letters").json();
    assertEquals(1, dead.get("count").asInt());
    assertEquals("h2", dead.get("jobs").get(0).get("job").asText());
    assertEquals("strategy offline", dead.get("jobs").get(0).get("lastError").asText());
    assertEquals(2, dead.get("jobs").get(0).get("data").get(1).asInt());

    await("queue metrics exported").atMost(Duration.ofSeconds(30)).until(() -> {
      String page = server.metrics();
      return TestServer.metricValue(page, "spark_queue_enqueued_total", "") >= 3
          && TestServer.metricValue(page, "spark_queue_processed_total", "") >= 1
          && TestServer.metricValue(page, "spark_queue_dead_letters_total", "") >= 1;
    });
  }

  /** A bad request: where it goes, what it sends, and the field and rule the 400 must name. */
  private record Bad(String path, String body, String code, String field) {}

  @Test
  void badInputAnswers400NamingTheFieldAndJournalsNothing() {
    long before = queueEventCount();
    List<Bad> cases = List.of(
        new Bad("enqueue", "{not json", "MALFORMED_JSON", "body"),
        new Bad("enqueue", "[1]", "NOT_AN_OBJECT", null),
        new Bad("enqueue", "{\"job\":\"u1\",\"data\":1,\"priority\":2}", "UNKNOWN_FIELD", "priority"),
        new Bad("enqueue", "{\"job\":\"u2\",\"jobs\":[{\"job\":\"u3\",\"data\":1}]}", "UNKNOWN_FIELD", "job"),
        new Bad("enqueue", "{\"jobs\":[7]}", "NOT_AN_OBJECT", "jobs[0]"),
        new Bad("enqueue", "{\"jobs\":[{\"job\":\"u4\",\"data\":1,\"x\":0}]}", "UNKNOWN_FIELD", "jobs[0].x"),
        new Bad("enqueue", "{\"data\":1}", "REQUIRED", "job"),
        new Bad("enqueue", "{\"job\":5,\"data\":1}", "INVALID_TYPE", "job"),
        new Bad("enqueue", "{\"job\":\"a b\",\"data\":1}", "INVALID_FORMAT", "job"),
        new Bad("enqueue", "{\"job\":\"bad-no-data\"}", "REQUIRED", "data"),
        new Bad("enqueue", "{\"jobs\":{}}", "INVALID_TYPE", "jobs"),
        new Bad("enqueue", "{\"jobs\":[]}", "REQUIRED", "jobs"),
        new Bad("enqueue", "{\"jobs\":[{\"job\":\"bad-ok\",\"data\":1},{\"job\":\"bad-2\"}]}", "REQUIRED", "jobs[1].data"),
        new Bad("claim?max=0", "", "INVALID_VALUE", "max"),
        new Bad("claim?max=two", "", "INVALID_VALUE", "max"),
        new Bad("claim?visibilityMs=-1", "", "INVALID_VALUE", "visibilityMs"),
        new Bad("ack", "{\"job\":\"x\"}", "REQUIRED", "claim"),
        new Bad("ack", "{\"claim\":\"c\"}", "REQUIRED", "job"),
        new Bad("nack", "{\"job\":\"x\",\"claim\":\"c\"}", "REQUIRED", "error"),
        new Bad("nack", "{\"job\":\"x\",\"claim\":\"c\",\"error\":7}", "INVALID_TYPE", "error"),
        new Bad("nack", "{\"job\":\"x\",\"claim\":\"c\",\"error\":\" \"}", "INVALID_TYPE", "error"),
        new Bad("ack", "{\"job\":\"x\",\"claim\":\"c\",\"error\":\"e\"}", "UNKNOWN_FIELD", "error"));
    for (Bad c : cases) {
      Response r = server.post(Q + c.path(), c.body());
      String what = c + " -> " + r;
      assertEquals(400, r.status(), what);
      assertEquals(c.code(), r.json().get("error").get("code").asText(), what);
      JsonNode error = r.json().get("error");
      assertEquals(c.field(), error.has("field") ? error.get("field").asText() : null, what);
    }
    assertEquals(before, queueEventCount());
  }

  /** Last: restarts the class's server on the same dirs. */
  @Test
  @Order(Integer.MAX_VALUE)
  void aRestartKeepsUnackedJobsAndClaimsInFlightUntilTheirTimeout() {
    String longClaim;
    TestServer one = server;
    server = null;
    try (one) {
      one.post(Q + "enqueue", "{\"jobs\":[{\"job\":\"r1\",\"data\":1},{\"job\":\"r2\",\"data\":2},{\"job\":\"r3\",\"data\":3}]}");
      longClaim = one.post(Q + "claim?max=1&visibilityMs=600000", "").json().get("jobs").get(0).get("claim").asText();
      assertEquals("r2", one.post(Q + "claim?max=1&visibilityMs=1", "").json().get("jobs").get(0).get("job").asText());
    }
    server = TestServer.inProcess(dataDir, OVERRIDES);
    TestServer two = server;
    // r2's claim ran out (it goes behind r3); r1's is still held
    await("r2 visible again").atMost(Duration.ofSeconds(30)).until(() -> two.get(Q + "stats").json().get("ready").asInt() == 2);
    assertEquals(1, two.get(Q + "stats").json().get("inFlight").asInt());
    JsonNode jobs = two.post(Q + "claim?max=5", "").json().get("jobs");
    assertEquals(2, jobs.size(), jobs::toString);
    assertEquals("r3", jobs.get(0).get("job").asText());
    assertEquals("r2", jobs.get(1).get("job").asText());
    assertEquals(2, jobs.get(1).get("delivery").asInt());
    assertEquals(200, two.post(Q + "ack", json("job", "r1", "claim", longClaim)).status());
  }

  /** The queue's events in the journal, read the way the start-up scans read it. */
  private static long queueEventCount() {
    CurrentEventsByPersistenceIdQuery query = PersistenceQuery.get(server.system())
        .getReadJournalFor(CurrentEventsByPersistenceIdQuery.class, server.config().getString("spark.orders.read-journal"));
    try {
      return query.currentEventsByPersistenceId(DurableQueue.persistenceId(server.config().getString("spark.queue.name")).id(), 0, Long.MAX_VALUE)
          .runWith(Sink.fold(0L, (n, e) -> n + 1), server.system())
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("cannot count queue events", e);
    }
  }

  private static List<String> strings(JsonNode array) {
    return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
  }
}
