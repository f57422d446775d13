package io.sparkexec.feed;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.Json;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** /ws/feed over real HTTP: handshake and compression, auth, channels, closes with codes, the status endpoint. */
@ExtendWith(LogCapturingExtension.class)
class FeedEndpointIT {

  private static FeedTestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = FeedTestServer.start("""
        spark.feed.ping-sec = 0
        spark.feed.max-inflated-bytes = 65536
        """);
  }

  @AfterAll
  static void stop() throws Exception {
    server.stop();
  }

  private static void awaitOpen(long id) {
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      JsonNode c = server.connection(id);
      return c != null && c.path("state").asText().equals("open");
    });
  }

  private static long welcome(RawWsClient c) throws Exception {
    JsonNode w = Json.MAPPER.readTree(c.readText());
    assertEquals("welcome", w.path("type").asText());
    return w.path("connectionId").asLong();
  }

  @Test
  void compressesWhenOfferedAndInflatesWhatTheClientSends() throws Exception {
    try (RawWsClient c = RawWsClient.connect(server.port, "/ws/feed?channels=market", FeedTestServer.TRADER_KEY,
        "permessage-deflate; client_max_window_bits", 0)) {
      assertEquals(101, c.status);
      assertEquals("permessage-deflate", c.extensions());
      long id = welcome(c);
      awaitOpen(id);
      server.hub.publishMarket(FeedTestServer.quote("BTCUSDT", 1));
      JsonNode tick = Json.MAPPER.readTree(c.readText());
      assertEquals("market", tick.path("channel").asText());
      assertEquals("BTCUSDT", tick.path("symbol").asText());
      assertEquals("101.00", tick.path("bid").asText());

      byte[] subscribe = "{\"op\":\"subscribe\",\"channels\":[\"system\"]}".getBytes(StandardCharsets.UTF_8);
      c.send(WsFrame.TEXT, true, true, c.deflate(subscribe));
      JsonNode reply = Json.MAPPER.readTree(c.readText());
      assertEquals("subscribed", reply.path("type").asText());
      assertEquals("[\"market\",\"system\"]", reply.path("channels").toString());

      JsonNode status = server.connection(id);
      assertEquals("permessage-deflate", status.path("compression").asText());
      assertTrue(status.path("bytesRaw").asLong() > 0);
    }
  }

  @Test
  void plainFramesWhenTheClientOffersNothing() throws Exception {
    try (RawWsClient c = RawWsClient.connect(server.port, "/ws/feed", FeedTestServer.TRADER_KEY, null, 0)) {
      assertEquals(101, c.status);
      assertNull(c.extensions());
      RawWsClient.Frame f = c.readFrame();
      assertEquals(WsFrame.TEXT, f.opcode());
      assertTrue(!f.rsv1() && f.text().contains("\"compression\":\"none\""));
    }
  }

  @Test
  void declinedOfferMeansPlainFrames() throws Exception {
    try (RawWsClient c = RawWsClient.connect(server.port, "/ws/feed", FeedTestServer.TRADER_KEY, "permessage-deflate; server_max_window_bits=10", 0)) {
      assertEquals(101, c.status);
      assertNull(c.extensions());
      assertTrue(!c.readFrame().rsv1());
    }
  }

  @Test
  void decompressionBombClosesWith1009() throws Exception {
    try (RawWsClient c = RawWsClient.connect(server.port, "/ws/feed", FeedTestServer.TRADER_KEY, "permessage-deflate", 0)) {
      long id = welcome(c);
      byte[] bomb = c.deflate(new byte[4 * 1024 * 1024]);
      assertTrue(bomb.length < 16 * 1024, "4 MiB of zeros deflate to a few KiB");
      c.send(WsFrame.TEXT, true, true, bomb);
      assertEquals(1009, c.awaitClose());
      await().atMost(Duration.ofSeconds(60)).until(() -> server.connection(id).path("state").asText().equals("closed"));
      assertEquals(1009, server.connection(id).path("closeCode").asInt());
    }
  }

  @Test
  void corruptCompressedDataClosesWith1007() throws Exception {
    try (RawWsClient c = RawWsClient.connect(server.port, "/ws/feed", FeedTestServer.TRADER_KEY, "permessage-deflate", 0)) {
      welcome(c);
      c.send(WsFrame.TEXT, true, true, new byte[] {(byte) 0xff, (byte) 0xff, 0x12, 0x34});
      assertEquals(1007, c.awaitClose());
    }
  }

  @Test
  void tooLongPlainMessageClosesWith1009() throws Exception {
    try (RawWsClient c = RawWsClient.connect(server.port, "/ws/feed", FeedTestServer.TRADER_KEY, null, 0)) {
      welcome(c);
      c.sendText("x".repeat(70_000));
      assertEquals(1009, c.awaitClose());
    }
  }

  @Test
  void subscribeAndUnsubscribeChangeWhatArrives() throws Exception {
    try (JdkWsClient c = JdkWsClient.connect(server.ws("channels=market"), FeedTestServer.TRADER_KEY)) {
      long id = c.next("control").path("connectionId").asLong();
      awaitOpen(id);
      c.send("{\"op\":\"subscribe\",\"channels\":[\"system\",\"orders\"]}");
      assertEquals("[\"orders\",\"market\",\"system\"]", c.next("control").path("channels").toString());
      c.send("{\"op\":\"unsubscribe\",\"channels\":[\"market\"]}");
      assertEquals("[\"orders\",\"system\"]", c.next("control").path("channels").toString());
      server.hub.publishMarket(FeedTestServer.quote("ETHUSDT", 2));
      server.hub.publishSystem("trading_state", Map.of("state", "HALTED"));
      JsonNode next = c.next();
      assertEquals("system", next.path("channel").asText(), "no market tick after unsubscribing: " + next);
      assertEquals("HALTED", next.path("state").asText());

      c.send("{\"op\":\"subscribe\",\"channels\":[\"weather\"]}");
      assertEquals("UNKNOWN_CHANNEL", c.next("control").path("code").asText());
      c.send("not json");
      assertEquals("MALFORMED_JSON", c.next("control").path("code").asText());
    }
  }

  @Test
  void ordersArriveInSeqOrder() throws Exception {
    long after = server.orders.last();
    try (JdkWsClient c = JdkWsClient.connect(server.ws("channels=orders&from=" + after), FeedTestServer.TRADER_KEY)) {
      for (int i = 0; i < 200; i++) server.orders.publish();
      for (long seq = after + 1; seq <= after + 200; seq++) {
        JsonNode m = c.next("orders");
        assertEquals(seq, m.path("seq").asLong());
        assertEquals("o-" + seq, m.path("event").path("clientOrderId").asText());
      }
    }
  }

  @Test
  void aFailingOrderReaderRestartsFromItsLastSeqSoClientsSeeNoGap() throws Exception {
    long after = server.orders.last();
    try (JdkWsClient c = JdkWsClient.connect(server.ws("channels=orders&from=" + after), FeedTestServer.TRADER_KEY)) {
      for (int i = 0; i < 10; i++) server.orders.publish();
      for (long seq = after + 1; seq <= after + 10; seq++) assertEquals(seq, c.next("orders").path("seq").asLong());
      server.orders.fail();
      for (int i = 0; i < 10; i++) server.orders.publish();
      for (long seq = after + 11; seq <= after + 20; seq++) assertEquals(seq, c.next("orders").path("seq").asLong(), "no gap across the restart");
      assertEquals(after + 10, server.orders.afters.get(server.orders.afters.size() - 1), "the reader went on after the last seq it had");
      assertFalse(c.closed.isDone(), "the client stays connected");
    }
  }

  @Test
  void fromResumesAfterThatSeqAtConnectAndOnSubscribe() throws Exception {
    long base = server.orders.last();
    for (int i = 0; i < 80; i++) server.orders.publish();
    try (JdkWsClient c = JdkWsClient.connect(server.ws("channels=orders&from=" + (base + 41)), FeedTestServer.TRADER_KEY)) {
      assertEquals(base + 42, c.next("orders").path("seq").asLong());
      c.send("{\"op\":\"unsubscribe\",\"channels\":[\"orders\"]}");
      assertEquals("unsubscribed", c.next("control").path("type").asText());
      c.send("{\"op\":\"subscribe\",\"channels\":[\"orders\"],\"from\":" + (base + 77) + "}");
      assertEquals("subscribed", c.next("control").path("type").asText());
      assertEquals(base + 78, c.next("orders").path("seq").asLong());
    }
    try (RawWsClient bad = RawWsClient.connect(server.port, "/ws/feed?channels=orders&from=-3", FeedTestServer.TRADER_KEY, null, 0)) {
      assertEquals(400, bad.status);
    }
  }

  @Test
  void authByHeaderOrSingleUseTokenNeverByKeyInTheUrl() throws Exception {
    try (RawWsClient noKey = RawWsClient.connect(server.port, "/ws/feed", null, null, 0)) {
      assertEquals(401, noKey.status);
    }
    try (RawWsClient badKey = RawWsClient.connect(server.port, "/ws/feed", "nope", null, 0)) {
      assertEquals(401, badKey.status);
    }
    try (RawWsClient keyInUrl = RawWsClient.connect(server.port, "/ws/feed?apiKey=" + FeedTestServer.TRADER_KEY, null, null, 0)) {
      assertEquals(400, keyInUrl.status);
    }
    try (RawWsClient unknownChannel = RawWsClient.connect(server.port, "/ws/feed?channels=weather", FeedTestServer.TRADER_KEY, null, 0)) {
      assertEquals(400, unknownChannel.status);
    }
    assertEquals(400, server.get("/ws/feed", FeedTestServer.TRADER_KEY).statusCode(), "not an upgrade");
    assertEquals(401, server.post("/api/private/ws-token", null).statusCode());

    String token = server.token();
    try (RawWsClient first = RawWsClient.connect(server.port, "/ws/feed?token=" + token, null, null, 0)) {
      assertEquals(101, first.status);
    }
    try (RawWsClient again = RawWsClient.connect(server.port, "/ws/feed?token=" + token, null, null, 0)) {
      assertEquals(401, again.status);
    }
    assertEquals(403, server.get("/api/private/websocket/status", FeedTestServer.TRADER_KEY).statusCode());
  }
}
