package io.sparkexec.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.bench.ChaosDrill;
import io.sparkexec.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chaos drill's short form: the executor in process with the simulated venue behind
 * ChaosVenue; 20% venue errors and 200 ms venue latency under steady load, then off. Every order
 * the executor took reaches a final state (none lost), and place->ack comes back within 1 s.
 */
@ExtendWith(LogCapturingExtension.class)
class ChaosDrillIT {

  @Test
  void noOrderIsLostUnderVenueChaosAndLatencyRecovers(@TempDir Path dir) throws Exception {
    try (TestServer server = TestServer.inProcess(dir)) {
      ChaosDrill.Options defaults = ChaosDrill.Options.defaults(server.uri("/"));
      ChaosDrill.Options shortForm = new ChaosDrill.Options(defaults.url(), defaults.key(), defaults.adminKey(), 20,
          Duration.ofSeconds(3), Duration.ofSeconds(10), Duration.ofSeconds(20), Duration.ofSeconds(30), 20, 200, Duration.ofSeconds(1),
          "BTCUSDT", "0.001");
      ChaosDrill.Report report = ChaosDrill.run(shortForm, System.out);
      System.out.print(ChaosDrill.report(shortForm, report));
      System.out.println(ChaosDrill.summary(report));

      assertEquals(0, report.lost(), () -> "lost orders: " + report.lostIds());
      assertTrue(report.placed() > 0.9 * report.sent(), () -> "most orders placed: " + ChaosDrill.summary(report));
      assertNotNull(report.backToSloMs(), () -> "place->ack back within 1 s after chaos off: " + ChaosDrill.summary(report));
      double faults = TestServer.metricValue(server.metrics(), "spark_chaos_venue_faults_total", "");
      assertTrue(faults > 0, "the venue saw chaos faults: " + faults);
    }
  }
}
