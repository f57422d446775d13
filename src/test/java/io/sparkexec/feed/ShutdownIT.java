package io.sparkexec.feed;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkexec.http.Json;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Shutting the server down tells each client why (1001) before the connections go. */
@ExtendWith(LogCapturingExtension.class)
class ShutdownIT {

  @Test
  void clientsAreToldTheServerIsGoingAway() throws Exception {
    FeedTestServer server = FeedTestServer.start("spark.feed.ping-sec = 0");
    try (RawWsClient plain = RawWsClient.connect(server.port, "/ws/feed", FeedTestServer.TRADER_KEY, null, 0);
        RawWsClient compressed = RawWsClient.connect(server.port, "/ws/feed", FeedTestServer.TRADER_KEY, "permessage-deflate", 0)) {
      long a = Json.MAPPER.readTree(plain.readText()).path("connectionId").asLong();
      long b = Json.MAPPER.readTree(compressed.readText()).path("connectionId").asLong();
      await().until(() -> server.connection(a) != null && server.connection(b) != null);
      CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> {
        try {
          server.stop();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      assertEquals(1001, plain.awaitClose());
      assertEquals(1001, compressed.awaitClose());
      stopped.join();
    }
  }
}
