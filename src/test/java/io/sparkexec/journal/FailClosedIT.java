package io.sparkexec.journal;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.Guardian;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.ProcessingSuccess;
import org.apache.pekko.persistence.testkit.StorageFailure;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.testkit.query.javadsl.PersistenceTestKitReadJournal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fail closed: when journal writes fail, no order is confirmed, readiness drops to 503 with the
 * journal-writes gate FAILED, new orders get 503 + Retry-After; when writes succeed again the
 * executor reopens by itself. The journal is Pekko's persistence testkit journal (its read
 * journal serves the start-up scan's currentEventsByTag), so writes can be made to fail.
 */
@ExtendWith(LogCapturingExtension.class)
class FailClosedIT {

  @TempDir
  Path dataDir;

  private static final String JOURNAL_FAILURES = "spark_journal_failures_total";

  @Test
  void failingJournalClosesTheExecutorAndItReopensWhenWritesSucceed() {
    Config testkitJournal = PersistenceTestKitPlugin.config().withFallback(ConfigFactory.parseMap(Map.of(
        "spark.orders.read-journal", PersistenceTestKitReadJournal.Identifier(),
        "spark.http.order-response-timeout", "2 s",
        "spark.http.ask-timeout", "2 s")));
    try (TestServer server = TestServer.inProcess(dataDir, testkitJournal)) {
      assertEquals("FILLED", place(server, "fc-before").json().path("status").asText(), "orders work on a healthy journal");
      double failuresBefore = TestServer.metricValue(server.metrics(), JOURNAL_FAILURES, "");

      PersistenceTestKit journal = PersistenceTestKit.create(server.system());
      journal.withPolicy((persistenceId, operation) -> operation instanceof WriteEvents
          ? StorageFailure.create(new RuntimeException("disk on fire (test policy)"))
          : ProcessingSuccess.getInstance());

      // the order cannot be journaled: never confirmed
      Response failed = place(server, "fc-during-1");
      assertNotEquals(200, failed.status(), failed::toString);
      assertEquals(503, failed.status(), failed::toString);
      assertEquals("OUTCOME_UNKNOWN", failed.json().path("error").path("code").asText(), failed::toString);
      assertTrue(failed.header("Retry-After").isPresent());
      assertEquals(404, server.getOrder("fc-during-1").status(), "nothing was journaled");

      await("ready drops to 503 with journal-writes FAILED").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
          .untilAsserted(() -> {
            Response ready = server.publicGet("/api/public/ready");
            assertEquals(503, ready.status(), ready::toString);
            JsonNode gate = ready.json().path("gates").path(Guardian.GATE_JOURNAL_WRITES);
            assertEquals("FAILED", gate.path("status").asText(), ready::toString);
          });

      Response refused = place(server, "fc-during-2");
      assertEquals(503, refused.status(), refused::toString);
      assertEquals("NOT_READY", refused.json().path("error").path("code").asText());
      assertTrue(refused.header("Retry-After").isPresent(), () -> "Retry-After: " + refused.headers().map());
      assertEquals(404, server.getOrder("fc-during-2").status());

      await("journal failures counted").atMost(Duration.ofSeconds(30)).until(() ->
          TestServer.metricValue(server.metrics(), JOURNAL_FAILURES, "") > failuresBefore);

      journal.resetPolicy();
      await("ready again once writes succeed").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
          .until(() -> server.publicGet("/api/public/ready").status() == 200);
      assertEquals("PASSED", server.publicGet("/api/public/ready").json().path("gates").path(Guardian.GATE_JOURNAL_WRITES).path("status").asText());

      assertEquals("FILLED", place(server, "fc-after").json().path("status").asText());
      // the order refused while closed can be sent again with the same id
      Response retried = place(server, "fc-during-1");
      assertEquals(200, retried.status(), retried::toString);
      assertEquals("FILLED", retried.json().path("status").asText());
    }
  }

  private static Response place(TestServer server, String id) {
    return server.placeOrder(json("clientOrderId", id, "symbol", "BTCUSDT", "side", "BUY", "type", "MARKET", "quantity", "0.001"));
  }
}
