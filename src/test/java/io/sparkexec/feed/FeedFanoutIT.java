package io.sparkexec.feed;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The orders channel's one reader: many connections on one journal read, resumes from the ring
 * of recent events and from further back through a journal read of their own, with no gap or
 * duplicate at the seam. The ring here holds only {@value #RING} events, so "further back" is near.
 */
@ExtendWith(LogCapturingExtension.class)
class FeedFanoutIT {

  private static final int RING = 8;
  // large enough that a client reading as fast as it can is never the slow one here (SlowConsumerIT covers that)
  private static final String CONFIG = """
      spark.feed.ping-sec = 0
      spark.feed.orders-ring = %d
      spark.feed.buffer = 8192
      """.formatted(RING);
  private static FeedTestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = FeedTestServer.start(CONFIG);
  }

  @AfterAll
  static void stop() throws Exception {
    server.stop();
  }

  /** The next {@code count} order events of a client: their seqs must be exactly after+1, after+2, ... */
  private static void assertNext(JdkWsClient c, long after, long count) throws InterruptedException {
    for (long seq = after + 1; seq <= after + count; seq++) assertEquals(seq, c.next("orders").path("seq").asLong(), "gap or duplicate");
  }

  private static OrderFanout.Status orders() {
    return server.hub.orders().status();
  }

  /** Once the reader has appended everything published, the ring holds exactly the last {@value #RING} events. */
  private static void awaitReaderAtHead() throws Exception {
    // a connection starts the reader if no test has yet
    try (JdkWsClient c = JdkWsClient.connect(server.ws("channels=orders"), FeedTestServer.TRADER_KEY)) {
      await().atMost(Duration.ofSeconds(60)).until(() -> server.liveOrderSubscribers() > 0 && orders().head() == server.orders.last());
    }
  }

  @Test
  void manySubscribersShareOneJournalReadAndEachGetsEveryEventInOrder() throws Exception {
    // a server of its own: its journal reads are this test's alone
    FeedTestServer own = FeedTestServer.start(CONFIG);
    List<JdkWsClient> clients = new ArrayList<>();
    try {
      for (int i = 0; i < 20; i++) clients.add(JdkWsClient.connect(own.ws("channels=orders&from=0"), FeedTestServer.TRADER_KEY));
      for (int i = 0; i < 300; i++) own.orders.publish();
      for (JdkWsClient c : clients) assertNext(c, 0, 300);
      assertEquals(List.of(0L), own.orders.afters, "one read of the order stream, from its head, for all 20");
    } finally {
      clients.forEach(JdkWsClient::close);
      own.stop();
    }
  }

  @Test
  void aResumeWithinTheRingIsServedFromMemoryThenLive() throws Exception {
    awaitReaderAtHead();
    for (int i = 0; i < 5; i++) server.orders.publish();
    long last = server.orders.last();
    awaitReaderAtHead();
    long reads = orders().catchUpReads();
    try (JdkWsClient c = JdkWsClient.connect(server.ws("channels=orders&from=" + (last - 3)), FeedTestServer.TRADER_KEY)) {
      assertNext(c, last - 3, 3);
      for (int i = 0; i < 20; i++) server.orders.publish();
      assertNext(c, last, 20);
      assertEquals(reads, orders().catchUpReads(), "no journal read of its own");
    }
  }

  @Test
  void aResumeOlderThanTheRingReadsTheJournalThenJoinsWithoutGapOrDuplicate() throws Exception {
    for (int i = 0; i < 5 * RING; i++) server.orders.publish();
    long from = server.orders.last() - 4 * RING;
    awaitReaderAtHead();
    long reads = orders().catchUpReads();
    // events keep coming while it catches up, so it joins a moving stream
    CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> {
      for (int i = 0; i < 3000; i++) server.orders.publish();
    });
    try (JdkWsClient c = JdkWsClient.connect(server.ws("channels=orders&from=" + from), FeedTestServer.TRADER_KEY)) {
      publishing.get(60, TimeUnit.SECONDS);
      assertNext(c, from, server.orders.last() - from);
      assertTrue(orders().catchUpReads() > reads, "it read the journal: the ring no longer held seq " + (from + 1));
      assertTrue(server.orders.afters.contains(from), "from its own seq: " + server.orders.afters);
      for (int i = 0; i < 10; i++) server.orders.publish();
      assertNext(c, server.orders.last() - 10, 10);
      assertFalse(c.closed.isDone());
    }
  }

  @Test
  void aFailingCatchUpReadClosesWith1011SoTheClientResumes() throws Exception {
    for (int i = 0; i < 2 * RING; i++) server.orders.publish();
    long from = server.orders.last() - 2 * RING;
    // the reader's own read must not be the one failing
    awaitReaderAtHead();
    server.orders.failReads(true);
    try (JdkWsClient c = JdkWsClient.connect(server.ws("channels=orders&from=" + from), FeedTestServer.TRADER_KEY)) {
      assertEquals(CloseReason.ORDERS_FAILED.code, c.closed.get(60, TimeUnit.SECONDS));
    } finally {
      server.orders.failReads(false);
    }
  }

  @Test
  void theStatusShowsTheReader() throws Exception {
    server.orders.publish();
    try (JdkWsClient c = JdkWsClient.connect(server.ws("channels=orders"), FeedTestServer.TRADER_KEY)) {
      c.next("control");
      await().atMost(Duration.ofSeconds(60)).until(() -> server.status().path("orders").path("head").asLong() == server.orders.last());
      JsonNode orders = server.status().path("orders");
      assertEquals(RING, orders.path("ringSize").asInt(), orders::toString);
      assertTrue(orders.path("readerStarts").asLong() >= 1, orders::toString);
      assertTrue(orders.path("subscribers").asInt() >= 1, orders::toString);
    }
  }
}
