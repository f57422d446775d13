package io.sparkexec.feed;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.TestServer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The queue channel: the signal queue's stats reach its subscribers as they change, and nobody else. */
@ExtendWith(LogCapturingExtension.class)
class FeedQueueIT {

  @Test
  void queueStatsReachQueueSubscribersOnly(@TempDir Path dir) throws Exception {
    // no consumer: enqueued jobs stay ready, so the stats are known
    try (TestServer server = TestServer.inProcess(dir, ConfigFactory.parseMap(Map.of("spark.queue.consumer.enabled", false)));
        JdkWsClient queue = JdkWsClient.connect(URI.create("ws://127.0.0.1:" + server.port() + "/ws/feed?channels=queue"), TestServer.TRADER_KEY);
        JdkWsClient market = JdkWsClient.connect(URI.create("ws://127.0.0.1:" + server.port() + "/ws/feed?channels=market"), TestServer.TRADER_KEY)) {
      assertEquals(200, server.post("/api/private/queue/enqueue",
          "{\"jobs\":[{\"job\":\"q1\",\"data\":1},{\"job\":\"q2\",\"data\":2},{\"job\":\"q3\",\"data\":3}]}").status());
      List<JsonNode> seen = new ArrayList<>();
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        for (JsonNode m; (m = queue.messages.poll()) != null; ) if (m.path("channel").asText().equals("queue")) seen.add(m);
        return !seen.isEmpty() && seen.get(seen.size() - 1).path("ready").asInt() == 3;
      });
      JsonNode last = seen.get(seen.size() - 1);
      assertEquals("signals", last.path("queue").asText(), last::toString);
      assertEquals(0, last.path("inFlight").asInt(), last::toString);
      assertEquals(0, last.path("deadLettered").asInt(), last::toString);
      assertTrue(last.has("oldestReadyAgeSeconds"), last::toString);
      // the market subscriber got ticks by now, never queue stats
      await().atMost(Duration.ofSeconds(60)).until(() -> market.messages.stream().anyMatch(m -> m.path("channel").asText().equals("market")));
      assertTrue(market.messages.stream().noneMatch(m -> m.path("channel").asText().equals("queue")), "queue stats only to queue subscribers");
    }
  }
}
