package io.sparkexec.feed;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.sparkexec.AppConfig;
import io.sparkexec.metrics.Metrics;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The feed's metrics reach the Prometheus exposition under the documented names, with HELP texts. */
@ExtendWith(LogCapturingExtension.class)
class FeedMetricsIT {

  @Test
  void feedMetricsAreExported() throws Exception {
    Metrics.init(AppConfig.load(ConfigFactory.parseString("kamon.metric.tick-interval = 1 s")));
    FeedTestServer server = FeedTestServer.start("spark.feed.ping-sec = 0");
    try {
      try (RawWsClient c = RawWsClient.connect(server.port, "/ws/feed?channels=orders&from=0", FeedTestServer.TRADER_KEY, "permessage-deflate", 0)) {
        c.readText();
        for (int i = 0; i < 50; i++) server.orders.publish();
        for (int i = 0; i < 50; i++) c.readText();
        c.send(WsFrame.CLOSE, true, false, new byte[] {0x03, (byte) 0xe8});
        assertEquals(1000, c.awaitClose());
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        String prom = Metrics.scrape();
        return prom.contains("# HELP spark_ws_compressed_frames_total ")
            && prom.contains("# HELP spark_ws_bandwidth_saved_bytes_total ")
            && prom.contains("# HELP spark_ws_compression_ratio ")
            && prom.contains("spark_ws_disconnects_total{reason=\"client_closed\"}")
            && prom.contains("# HELP spark_ws_connections ");
      });
    } finally {
      server.stop();
    }
  }
}
