package io.sparkexec.feed;

import static io.sparkexec.testing.TestServer.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.TestServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The orders channel on the real executor: the journal's order tag stream, replayed, live, resumed and scoped. */
@ExtendWith(LogCapturingExtension.class)
class FeedOrdersIT {

  static final String ALPHA_KEY = "alpha-key";

  @TempDir
  static Path dataDir;

  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.inProcess(dataDir, ConfigFactory.parseString("""
        spark.auth.keys = [
          { key = "trader-dev-key", role = "trader", name = "dev-trader" }
          { key = "admin-dev-key", role = "admin", name = "dev-admin" }
          { key = "alpha-key", role = "trader", name = "alpha-bot", strategies = ["alpha"] }
        ]
        """));
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  /** A MARKET order: the answer is FILLED, so all of its events are journaled when this returns. */
  static void filled(String id, String strategy) {
    TestServer.Response r = server.placeOrder(json("clientOrderId", id, "symbol", "BTCUSDT", "side", "BUY", "type", "MARKET",
        "quantity", "0.001", "strategy", strategy));
    assertEquals(200, r.status(), r::toString);
    assertEquals("FILLED", r.json().path("status").asText(), r::toString);
  }

  static JdkWsClient connect(String query, String key) throws Exception {
    JdkWsClient c = JdkWsClient.connect(URI.create("ws://127.0.0.1:" + server.port() + "/ws/feed?" + query), key);
    assertEquals("welcome", c.next("control").path("type").asText());
    return c;
  }

  /** Takes what has arrived on the orders channel into {@code into}. */
  static void drain(JdkWsClient c, List<JsonNode> into) {
    for (JsonNode m; (m = c.messages.poll()) != null; ) if (m.path("channel").asText().equals("orders")) into.add(m);
  }

  /** Drains; true once {@code into} ends with the event of {@code lastSeq}. */
  static boolean caughtUp(JdkWsClient c, List<JsonNode> into, long lastSeq) {
    drain(c, into);
    return !into.isEmpty() && into.get(into.size() - 1).path("seq").asLong() == lastSeq;
  }

  static void assertGapFree(long after, List<JsonNode> events) {
    for (int i = 0; i < events.size(); i++) assertEquals(after + 1 + i, events.get(i).path("seq").asLong(), () -> "seq gap or duplicate: " + events);
  }

  static Set<String> ids(List<JsonNode> events) {
    Set<String> ids = new TreeSet<>();
    for (JsonNode e : events) ids.add(e.path("event").path("clientOrderId").asText());
    return ids;
  }

  @Test
  void replayThenLiveWithOneGapFreeNumberingAndResumeAfterADisconnectWithoutGapOrDuplicate() throws Exception {
    filled("res-1", "alpha");
    filled("res-2", "beta");
    List<JsonNode> first = new ArrayList<>();
    try (JdkWsClient c = connect("channels=orders&from=0", TestServer.TRADER_KEY)) {
      await().atMost(Duration.ofSeconds(60)).until(() -> caughtUp(c, first, server.orderEventCount()));
      filled("res-3", "alpha"); // live: journaled while the connection is open
      await().atMost(Duration.ofSeconds(60)).until(() -> caughtUp(c, first, server.orderEventCount()));
    }
    assertGapFree(0, first);
    assertTrue(ids(first).containsAll(Set.of("res-1", "res-2", "res-3")), () -> ids(first).toString());
    JsonNode accepted = first.stream().filter(m -> m.path("event").path("clientOrderId").asText().equals("res-1")).findFirst().orElseThrow();
    assertEquals("OrderAccepted", accepted.path("event").path("eventType").asText(), accepted::toString);
    assertEquals("MARKET", accepted.path("event").path("type").asText(), "the event's own fields");
    assertEquals("alpha", accepted.path("event").path("strategy").asText());
    assertEquals("0.001", accepted.path("event").path("quantity").asText(), "decimals are strings");
    Map<String, String> acceptedStrategy = new HashMap<>();
    for (JsonNode m : first) {
      JsonNode e = m.path("event");
      if (e.path("eventType").asText().equals("OrderAccepted")) acceptedStrategy.put(e.path("clientOrderId").asText(), e.path("strategy").asText());
      assertEquals(acceptedStrategy.get(e.path("clientOrderId").asText()), e.path("strategy").asText(), () -> "every event names its order's strategy: " + m);
    }

    long last = first.get(first.size() - 1).path("seq").asLong();
    filled("res-4", "alpha"); // while disconnected
    filled("res-5", "beta");
    List<JsonNode> resumed = new ArrayList<>();
    try (JdkWsClient c = connect("channels=orders&from=" + last, TestServer.TRADER_KEY)) {
      await().atMost(Duration.ofSeconds(60)).until(() -> caughtUp(c, resumed, server.orderEventCount()));
    }
    assertGapFree(last, resumed);
    assertEquals(Set.of("res-4", "res-5"), ids(resumed));
  }

  @Test
  void withoutFromOnlyEventsAfterTheConnectArriveGapFree() throws Exception {
    filled("live-0", "alpha");
    long before = server.orderEventCount();
    List<JsonNode> live = new ArrayList<>();
    try (JdkWsClient c = connect("channels=orders", TestServer.TRADER_KEY)) {
      // the stream's start is found after the upgrade, with no signal to the client: orders placed before it are not
      // delivered, so place until one arrives
      AtomicInteger n = new AtomicInteger();
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        filled("live-" + n.incrementAndGet(), "alpha");
        drain(c, live);
        return !live.isEmpty();
      });
      await().atMost(Duration.ofSeconds(60)).until(() -> caughtUp(c, live, server.orderEventCount()));
    }
    assertTrue(live.get(0).path("seq").asLong() > before, () -> "nothing from before the connect: " + live.get(0));
    assertGapFree(live.get(0).path("seq").asLong() - 1, live);
  }

  @Test
  void aKeyBoundToAStrategySeesOnlyItsOrdersAndAdminSeesAll() throws Exception {
    filled("scope-a1", "alpha");
    filled("scope-b1", "beta");
    filled("scope-a2", "alpha");
    long lastSeq = server.orderEventCount();
    List<JsonNode> all = new ArrayList<>();
    try (JdkWsClient admin = connect("channels=orders&from=0", "admin-dev-key")) {
      await().atMost(Duration.ofSeconds(60)).until(() -> caughtUp(admin, all, lastSeq));
    }
    assertGapFree(0, all);
    List<Long> alphaSeqs = all.stream().filter(m -> m.path("event").path("strategy").asText().equals("alpha"))
        .map(m -> m.path("seq").asLong()).toList();
    assertTrue(ids(all).contains("scope-b1"), "admin sees every strategy");

    List<JsonNode> scoped = new ArrayList<>();
    try (JdkWsClient alpha = connect("channels=orders&from=0", ALPHA_KEY)) {
      await().atMost(Duration.ofSeconds(60)).until(() -> caughtUp(alpha, scoped, alphaSeqs.get(alphaSeqs.size() - 1)));
    }
    assertEquals(alphaSeqs, scoped.stream().map(m -> m.path("seq").asLong()).toList(), "exactly the alpha events, in seq order");
  }

  @Test
  void everyEventCarriesItsOrdersStrategySoTheReaderNeverAsksTheIndex() throws Exception {
    filled("own-1", "alpha");
    long lastSeq = server.orderEventCount();
    String readJournal = server.config().getString("spark.orders.read-journal");
    List<OrderEventSource.Sequenced> events = new JournalOrderEvents(server.system(), readJournal, id -> {
      throw new AssertionError("the order index was asked for " + id);
    }).after(0).takeWhile(e -> e.seq() < lastSeq, true).filter(e -> e.json().contains("\"own-1\""))
        .runWith(Sink.seq(), server.system()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertTrue(events.size() > 1, "a filled order has events after its acceptance: " + events);
    for (OrderEventSource.Sequenced e : events) assertEquals("alpha", e.strategy(), e::toString);
  }

  @Test
  void manyClientsShareTheOneJournalReadAndEachGetsEveryEvent() throws Exception {
    filled("share-0", "alpha");
    long after = server.orderEventCount();
    JsonNode before = feedStatus().path("orders");
    List<JdkWsClient> clients = new ArrayList<>();
    try {
      for (int i = 0; i < 10; i++) clients.add(connect("channels=orders&from=" + after, TestServer.TRADER_KEY));
      for (int i = 1; i <= 5; i++) filled("share-" + i, i % 2 == 0 ? "alpha" : "beta");
      long lastSeq = server.orderEventCount();
      for (JdkWsClient c : clients) {
        List<JsonNode> got = new ArrayList<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> caughtUp(c, got, lastSeq));
        assertGapFree(after, got);
      }
    } finally {
      clients.forEach(JdkWsClient::close);
    }
    JsonNode orders = feedStatus().path("orders");
    assertEquals(1, orders.path("readerStarts").asLong(), () -> "one live read of the order tag: " + orders);
    assertEquals(before.path("catchUpReads").asLong(), orders.path("catchUpReads").asLong(),
        () -> "no client needed a read of its own (they resumed within the ring): " + orders);
  }

  private static JsonNode feedStatus() {
    return server.send(HttpRequest.newBuilder(server.uri("/api/private/websocket/status")).header("X-API-Key", "admin-dev-key").GET().build())
        .json();
  }

  /** A system event about one strategy (here a dead-man firing) reaches keys that see it, not a key bound to another. */
  @Test
  void aStrategysSystemEventsReachOnlyKeysThatSeeIt() throws Exception {
    try (JdkWsClient alpha = connect("channels=system", ALPHA_KEY); JdkWsClient unbound = connect("channels=system", TestServer.TRADER_KEY)) {
      assertEquals(200, server.post("/api/private/heartbeat", "{\"strategy\":\"beta\",\"windowMs\":500}").status());
      JsonNode beta = nextAboutAStrategy(unbound);
      assertEquals("beta", beta.path("strategy").asText(), beta::toString);
      assertEquals(200, server.post("/api/private/heartbeat", "{\"strategy\":\"alpha\",\"windowMs\":500}").status());
      JsonNode own = nextAboutAStrategy(alpha);
      // the system channel is ordered per connection: beta's firing, sent first, would have come before alpha's
      assertEquals("alpha", own.path("strategy").asText(), () -> "alpha's key saw another strategy's event: " + own);
    }
  }

  /** The next system message naming a strategy (node-wide ones, such as SLO alerts, may come between). */
  static JsonNode nextAboutAStrategy(JdkWsClient c) throws InterruptedException {
    while (true) {
      JsonNode m = c.next("system");
      if (m.hasNonNull("strategy")) return m;
    }
  }
}
