package io.sparkexec.slo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sparkexec.AppConfig;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * conf/prometheus/alerts.yml is valid, its unit tests (alerts_test.yml: the fast burn alert fires
 * for given series, the short window clears it) pass under promtool, and its burn-rate alerts use
 * the windows and factors of conf/slo.conf. promtool missing: skipped with a message, failed on CI.
 */
class PrometheusRulesTest {

  private static final boolean CI = "true".equals(System.getenv("CI"));
  private static final Path RULES = Path.of("conf", "prometheus", "alerts.yml");
  private static final Path RULE_TESTS = Path.of("conf", "prometheus", "alerts_test.yml");

  private record Run(int exit, String output) {}

  private static Run promtool(String... args) throws IOException, InterruptedException {
    String[] command = new String[args.length + 1];
    command[0] = "promtool";
    System.arraycopy(args, 0, command, 1, args.length);
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      if (CI) fail("promtool is missing on CI; .ci/run installs it (Debian package prometheus)");
      System.err.println("PrometheusRulesTest: SKIPPED, promtool is not installed (Debian package prometheus)");
      assumeTrue(false, "promtool is not installed");
      throw e;
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "promtool did not finish");
    return new Run(p.exitValue(), out);
  }

  @Test
  void rulesPassPromtoolCheck() throws Exception {
    Run r = promtool("check", "rules", RULES.toString());
    assertEquals(0, r.exit(), r.output());
  }

  @Test
  void burnRateAlertsFireForTheGivenSeries() throws Exception {
    Run r = promtool("test", "rules", RULE_TESTS.toString());
    assertEquals(0, r.exit(), r.output());
    assertTrue(r.output().contains("SUCCESS"), r.output());
  }

  @Test
  void burnRateAlertsUseTheExecutorsWindowsAndFactors() throws Exception {
    String rules = Files.readString(RULES);
    SloSettings s = SloSettings.fromConfig(AppConfig.load().getConfig("spark.slo"));
    for (SloSettings.AlertRule rule : java.util.List.of(s.page(), s.ticket())) {
      String factor = BigDecimal.valueOf(rule.burnRate()).stripTrailingZeros().toPlainString();
      String expr = "slo:burn_rate:" + SloService.label(rule.longWindow()) + " > " + factor + " and slo:burn_rate:"
          + SloService.label(rule.shortWindow()) + " > " + factor;
      assertTrue(rules.contains(expr), "alerts.yml should have `" + expr + "` (conf/slo.conf alerts." + rule.severity() + ")");
      assertTrue(rules.contains("severity: " + rule.severity()), rule.severity());
    }
  }
}
