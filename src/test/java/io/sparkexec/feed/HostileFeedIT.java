package io.sparkexec.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.Json;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile clients of the feed (issue #14 F7, U4): control messages with hostile JSON answer an
 * error message naming the code and field on an open socket (never 1011) and change no
 * subscription; a frame head declaring more than the feed ever reads closes 1009 with a reason,
 * compressed or not.
 */
@ExtendWith(LogCapturingExtension.class)
class HostileFeedIT {

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

  static Stream<Arguments> hostileControlMessages() {
    String unsubscribe = "{\"op\":\"unsubscribe\",\"channels\":[\"market\"],\"from\":@}";
    return Stream.of(
        Arguments.of("duplicate key", "{\"op\":\"subscribe\",\"op\":\"unsubscribe\",\"channels\":[\"market\"]}", "DUPLICATE_KEY", "op"),
        Arguments.of("exponent overflow", unsubscribe.replace("@", "1e2147483648"), "NUMBER_OUT_OF_RANGE", "from"),
        Arguments.of("huge exponent", unsubscribe.replace("@", "1e999999999"), "NUMBER_OUT_OF_RANGE", "from"),
        Arguments.of("1,201-digit number", unsubscribe.replace("@", "9".repeat(1201)), "NUMBER_TOO_LONG", "from"),
        Arguments.of("deep nesting", unsubscribe.replace("@", "[".repeat(200) + "]".repeat(200)), "NESTING_TOO_DEEP", "from[0]"),
        Arguments.of("byte-order mark", "\uFEFF" + unsubscribe.replace("@", "0"), "UNSUPPORTED_CHARSET", "body"),
        // a text frame is UTF-8 by RFC 6455: UTF-16 bytes arrive as NUL-studded text
        Arguments.of("UTF-16 bytes", new String(unsubscribe.replace("@", "0").getBytes(StandardCharsets.UTF_16LE), StandardCharsets.ISO_8859_1),
            "MALFORMED_JSON", "body"),
        Arguments.of("trailing tokens", unsubscribe.replace("@", "0") + " {}", "MALFORMED_JSON", "body"),
        Arguments.of("not JSON", "unsubscribe market", "MALFORMED_JSON", "body"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileControlMessages")
  void aHostileControlMessageAnswersAnErrorOnTheOpenSocketAndChangesNoSubscription(String name, String message, String code, String field)
      throws Exception {
    try (RawWsClient c = RawWsClient.connect(server.port, "/ws/feed?channels=market", FeedTestServer.TRADER_KEY, null, 0)) {
      assertEquals("welcome", Json.MAPPER.readTree(c.readText()).path("type").asText());
      c.sendText(message);
      JsonNode error = nextControl(c);
      assertEquals("error", error.path("type").asText(), error::toString);
      assertEquals(code, error.path("code").asText(), error::toString);
      assertTrue(error.path("field").asText().startsWith(field), error::toString);
      // still open, and still subscribed to market: the hostile unsubscribe did nothing
      c.sendText("{\"op\":\"subscribe\",\"channels\":[\"system\"]}");
      JsonNode subscribed = nextControl(c);
      assertEquals("subscribed", subscribed.path("type").asText(), subscribed::toString);
      assertEquals(List.of("market", "system"), Json.MAPPER.convertValue(subscribed.path("channels"), List.class));
    }
  }

  /** The next control-channel message, skipping market ticks; a close fails with its code and reason. */
  private static JsonNode nextControl(RawWsClient c) throws Exception {
    while (true) {
      RawWsClient.Received r = c.readMessage();
      if (r.close() != null) throw new AssertionError("closed " + r.close().closeCode() + " " + RawWsClient.closeReason(r.close()));
      JsonNode m = Json.MAPPER.readTree(r.text());
      if (m.path("channel").asText().equals("control")) return m;
    }
  }

  @ParameterizedTest(name = "{0} bytes declared, compressed={1}")
  @CsvSource({"9223372036854775807, false", "9223372036854775807, true", "4294967296, false", "70000, true"})
  void aHeadClaimingTooManyBytesClosesWith1009AndSaysWhy(long declared, boolean compressed) throws Exception {
    try (RawWsClient c = RawWsClient.connect(server.port, "/ws/feed", FeedTestServer.TRADER_KEY, compressed ? "permessage-deflate" : null, 0)) {
      JsonNode welcome = Json.MAPPER.readTree(c.readText());
      assertEquals("welcome", welcome.path("type").asText());
      c.sendHead(WsFrame.TEXT, compressed, declared, "{\"op\":".getBytes(StandardCharsets.UTF_8));
      RawWsClient.Received r = c.readMessage();
      assertNotNull(r.close(), "closed, not answered: " + r.text());
      assertEquals(1009, r.close().closeCode(), () -> "close reason: " + RawWsClient.closeReason(r.close()));
      assertFalse(RawWsClient.closeReason(r.close()).isBlank(), "the close says why");
    }
  }
}
