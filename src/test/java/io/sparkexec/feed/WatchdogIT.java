package io.sparkexec.feed;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.Json;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The server pings; a client that never answers is closed with 4001, plain or compressed; one that answers stays. */
@ExtendWith(LogCapturingExtension.class)
class WatchdogIT {

  private static FeedTestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = FeedTestServer.start("""
        spark.feed.ping-sec = 1
        spark.feed.pong-timeout-sec = 8
        """);
  }

  @AfterAll
  static void stop() throws Exception {
    server.stop();
  }

  @Test
  void silentClientsAreClosedWithPongTimeoutWhileAnsweringOnesStay() throws Exception {
    try (RawWsClient answering = RawWsClient.connect(server.port, "/ws/feed", FeedTestServer.TRADER_KEY, null, 0);
        RawWsClient silentPlain = RawWsClient.connect(server.port, "/ws/feed", FeedTestServer.TRADER_KEY, null, 0);
        RawWsClient silentCompressed = RawWsClient.connect(server.port, "/ws/feed", FeedTestServer.TRADER_KEY, "permessage-deflate", 0)) {
      long answeringId = Json.MAPPER.readTree(answering.readText()).path("connectionId").asLong();
      CompletableFuture<Integer> answeringClosed = new CompletableFuture<>();
      Thread reader = new Thread(() -> {
        try {
          answeringClosed.complete(answering.awaitClose());
        } catch (Exception e) {
          answeringClosed.complete(-1);
        }
      }, "answering-client");
      reader.setDaemon(true);
      reader.start();
      silentPlain.answerPings = false;
      silentCompressed.answerPings = false;
      assertEquals(4001, silentPlain.awaitClose());
      assertEquals(4001, silentCompressed.awaitClose());
      // more pings answered than fit in one pong timeout: answers are what keeps it open
      await().atMost(Duration.ofSeconds(120)).until(() -> answering.pingsAnswered.get() >= 10);
      JsonNode status = server.connection(answeringId);
      assertEquals("open", status.path("state").asText());
      assertEquals(false, answeringClosed.isDone());
    }
  }
}
