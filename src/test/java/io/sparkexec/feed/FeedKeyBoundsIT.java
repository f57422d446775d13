package io.sparkexec.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.Json;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Issue #14 F15: one key cannot take all of the feed's connections or all of its tokens. */
class FeedKeyBoundsIT {

  static final int PER_KEY = 3;
  private static FeedTestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = FeedTestServer.start("""
        spark.feed.ping-sec = 0
        spark.feed.max-connections-per-key = %d
        spark.feed.max-tokens-per-key = %d
        """.formatted(PER_KEY, PER_KEY));
  }

  @AfterAll
  static void stop() throws Exception {
    server.stop();
  }

  private static JdkWsClient open(String key) throws Exception {
    JdkWsClient c = JdkWsClient.connect(server.ws("channels=system"), key);
    assertEquals("welcome", c.next("control").path("type").asText());
    return c;
  }

  @Test
  void aKeyAtItsConnectionBoundHears429AndAnotherKeyStillConnects() throws Exception {
    List<JdkWsClient> mine = new ArrayList<>();
    try {
      for (int i = 0; i < PER_KEY; i++) mine.add(open(FeedTestServer.TRADER_KEY));
      ExecutionException refused = assertThrows(ExecutionException.class, () -> JdkWsClient.connect(server.ws("channels=system"), FeedTestServer.TRADER_KEY));
      HttpResponse<?> answer = assertInstanceOf(WebSocketHandshakeException.class, refused.getCause()).getResponse();
      assertEquals(429, answer.statusCode());
      assertEquals("5", answer.headers().firstValue("Retry-After").orElse(null));
      // another key still gets in (open asserts its welcome)
      open(FeedTestServer.ADMIN_KEY).close();
      // a closed connection gives its slot back
      mine.remove(0).close();
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
        mine.add(open(FeedTestServer.TRADER_KEY));
        return true;
      });
    } finally {
      for (JdkWsClient c : mine) c.close();
    }
  }

  @Test
  void aKeyAtItsTokenBoundHears429AndAnotherKeyStillGetsOne() throws Exception {
    String key = "admin-dev-key";
    for (int i = 0; i < PER_KEY; i++) assertEquals(200, server.post("/api/private/ws-token", key).statusCode());
    HttpResponse<String> refused = server.post("/api/private/ws-token", key);
    assertEquals(429, refused.statusCode(), refused::body);
    JsonNode error = Json.MAPPER.readTree(refused.body()).path("error");
    assertEquals("KEY_TOKEN_LIMIT", error.path("code").asText(), refused::body);
    assertEquals(200, server.post("/api/private/ws-token", FeedTestServer.TRADER_KEY).statusCode());
  }
}
