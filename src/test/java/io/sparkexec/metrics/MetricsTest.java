package io.sparkexec.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The histograms a fresh page carries empty are complete series: promtool wants a HELP line for each. */
class MetricsTest {

  @Test
  void everyEmptyHistogramHasHelpAndType() {
    String page = Metrics.withEmptyHistograms("");
    for (String name : List.of("spark_order_place_ack_duration_seconds", "spark_http_request_duration_seconds", "spark_batch_latency_seconds",
        "spark_batch_size")) {
      assertTrue(page.contains("# HELP " + name + " "), () -> name + " has no HELP line:\n" + page);
      assertTrue(page.contains("# TYPE " + name + " histogram\n" + name + "_bucket{le=\"+Inf\"} 0.0\n"), () -> name + ":\n" + page);
    }
  }

  @Test
  void aRecordedHistogramIsLeftAsTheReporterWroteIt() {
    String page = "spark_batch_size_bucket{symbol=\"BTCUSDT\",le=\"+Inf\"} 3.0\n";
    assertEquals(1, Metrics.withEmptyHistograms(page).split("# HELP spark_batch_size ", -1).length, "not appended again");
  }
}
