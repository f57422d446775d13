package io.sparkexec.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.Json;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A frame head declaring more than the feed ever reads is refused at the head: 1009 with a reason, compressed or not (issue #14 U4). */
@ExtendWith(LogCapturingExtension.class)
class FrameLengthIT {

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

  @ParameterizedTest(name = "{0} bytes declared, compressed={1}")
  @CsvSource({"9223372036854775807, false", "9223372036854775807, true", "4294967296, false", "70000, true"})
  void aHeadClaimingTooManyBytesClosesWith1009AndSaysWhy(long declared, boolean compressed) throws Exception {
    try (RawWsClient c = RawWsClient.connect(server.port, "/ws/feed", FeedTestServer.TRADER_KEY, compressed ? "permessage-deflate" : null, 0)) {
      JsonNode welcome = Json.MAPPER.readTree(c.readText());
      assertEquals("welcome", welcome.path("type").asText());
      c.sendHead(WsFrame.TEXT, compressed, declared, "{\"op\":".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      RawWsClient.Received r = c.readMessage();
      assertNotNull(r.close(), "closed, not answered: " + r.text());
      assertEquals(1009, r.close().closeCode(), () -> "close reason: " + RawWsClient.closeReason(r.close()));
      assertFalse(RawWsClient.closeReason(r.close()).isBlank(), "the close says why");
    }
  }
}
