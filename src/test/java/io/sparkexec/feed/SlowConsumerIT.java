package io.sparkexec.feed;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.Json;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One client stops reading while others keep up. Progress is driven by conditions (the fast
 * clients caught up, the slow one's status changed), never by time.
 */
@ExtendWith(LogCapturingExtension.class)
class SlowConsumerIT {

  private static final int BUFFER = 64;
  private static FeedTestServer server;

  @BeforeAll
  static void start() throws Exception {
    // small socket buffers so the stalled client backs up into the feed quickly
    server = FeedTestServer.start("""
        spark.feed.ping-sec = 0
        spark.feed.buffer = %d
        pekko.http.server.socket-options.so-send-buffer-size = 8k
        """.formatted(BUFFER));
  }

  @AfterAll
  static void stop() throws Exception {
    server.stop();
  }

  private static long connectionId(JdkWsClient c) throws Exception {
    return c.next("control").path("connectionId").asLong();
  }

  @Test
  void aStalledOrdersClientIsClosedWithTheResumeCodeAndTheOthersGetEverything() throws Exception {
    // from= the current seq: each gets every event published from here on, however soon its subscription joins
    long start = server.orders.last();
    String query = "channels=orders&from=" + start;
    List<JdkWsClient> fast = List.of(JdkWsClient.connect(server.ws(query), FeedTestServer.TRADER_KEY),
        JdkWsClient.connect(server.ws(query), FeedTestServer.TRADER_KEY),
        JdkWsClient.connect(server.ws(query), FeedTestServer.TRADER_KEY));
    try (RawWsClient slow = RawWsClient.connect(server.port, "/ws/feed?" + query, FeedTestServer.TRADER_KEY, null, 4096)) {
      List<Long> fastIds = new java.util.ArrayList<>();
      for (JdkWsClient c : fast) fastIds.add(connectionId(c));
      long slowId = Json.MAPPER.readTree(slow.readText()).path("connectionId").asLong();
      await().atMost(Duration.ofSeconds(60)).until(() -> server.connection(slowId) != null);

      long[] lastSeen = new long[fast.size()];
      java.util.Arrays.fill(lastSeen, start);
      long seq = start;
      JsonNode slowStatus = server.connection(slowId);
      while (slowStatus.path("closeCode").isMissingNode() || slowStatus.path("closeCode").isNull()) {
        assertTrue(slowStatus.path("bufferHighWater").asInt() <= BUFFER, "the slow client's buffer stays bounded: " + slowStatus);
        assertTrue(seq < 2_000_000, "the stalled client was never closed");
        for (int i = 0; i < BUFFER / 2; i++) seq = server.orders.publish();
        for (int k = 0; k < fast.size(); k++) {
          while (lastSeen[k] < seq) {
            long got = fast.get(k).next("orders").path("seq").asLong();
            assertEquals(lastSeen[k] + 1, got, "fast client " + k + " gets every event in order");
            lastSeen[k] = got;
          }
        }
        slowStatus = server.connection(slowId);
      }
      assertEquals(CloseReason.SLOW_CONSUMER_RESUME.code, slowStatus.path("closeCode").asInt());
      assertTrue(slowStatus.path("bufferHighWater").asInt() <= BUFFER);
      assertTrue(slowStatus.path("drops").asLong() >= 1);

      // the slow client reads again: a gap-free prefix of the events, then the resume code
      long last = start;
      while (true) {
        RawWsClient.Received r = slow.readMessage();
        if (r.close() != null) {
          assertEquals(4002, r.close().closeCode());
          break;
        }
        JsonNode m = Json.MAPPER.readTree(r.text());
        if (!m.path("channel").asText().equals("orders")) continue;
        assertEquals(last + 1, m.path("seq").asLong());
        last = m.path("seq").asLong();
      }
      assertTrue(last < seq, "it was behind when closed, so it resumes from " + last);
      for (long id : fastIds) assertEquals("open", server.connection(id).path("state").asText());
      assertEquals(1, server.orders.afters.size(), "one journal read served all four: the stalled client never held it up");
      await().atMost(Duration.ofSeconds(60)).until(() -> server.status().path("totals").path("slowConsumerCloses").asLong() >= 1);
    } finally {
      fast.forEach(JdkWsClient::close);
    }
  }

  @Test
  void aStalledMarketClientIsConflatedNotClosedAndThenGetsTheLatestTicks() throws Exception {
    List<String> symbols = List.of("BTCUSDT", "ETHUSDT", "SOLUSDT");
    try (JdkWsClient fast = JdkWsClient.connect(server.ws("channels=market"), FeedTestServer.TRADER_KEY);
        RawWsClient slow = RawWsClient.connect(server.port, "/ws/feed?channels=market", FeedTestServer.TRADER_KEY, null, 4096)) {
      long fastId = connectionId(fast);
      long slowId = Json.MAPPER.readTree(slow.readText()).path("connectionId").asLong();
      await().atMost(Duration.ofSeconds(60)).until(() -> server.connection(fastId) != null && server.connection(slowId) != null);

      int round = 0;
      JsonNode slowStatus = server.connection(slowId);
      while (slowStatus.path("ticksConflated").asLong() < 200) {
        assertTrue(round < 1_000_000, "the stalled client never backed up");
        round++;
        for (String s : symbols) server.hub.publishMarket(FeedTestServer.quote(s, round));
        Map<String, Integer> seen = new HashMap<>();
        while (seen.size() < symbols.size()) {
          JsonNode t = fast.next("market");
          int i = new java.math.BigDecimal(t.path("bid").asText()).intValue() - 100;
          if (i == round) seen.put(t.path("symbol").asText(), i);
        }
        slowStatus = server.connection(slowId);
      }
      assertEquals("open", slowStatus.path("state").asText());
      assertTrue(slowStatus.path("buffered").asInt() <= BUFFER);

      // reading again, the slow client ends up with the latest tick of every symbol
      int lastRound = round;
      Map<String, Integer> latest = new HashMap<>();
      while (!symbols.stream().allMatch(s -> latest.getOrDefault(s, 0) == lastRound)) {
        JsonNode t = Json.MAPPER.readTree(slow.readText());
        if (t.path("channel").asText().equals("market")) latest.put(t.path("symbol").asText(), new java.math.BigDecimal(t.path("bid").asText()).intValue() - 100);
      }
      assertEquals("open", server.connection(slowId).path("state").asText());
    }
  }
}
