package io.sparkexec.slo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.AppConfig;
import io.sparkexec.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Burn rates, alerts and budgets against hand-computed values, on a clock the test moves. */
class SloServiceTest {

  private static final Instant T0 = Instant.parse("2026-01-05T00:00:00Z");
  private static final String API = SloService.API_ERRORS;
  private static final String LATENCY = SloService.PLACE_ACK_LATENCY;

  private final ManualClock clock = new ManualClock(T0);

  private static SloSettings settings(int maxStrategies) {
    return new SloSettings(Duration.ofMinutes(1), Duration.ofDays(1), Duration.ofHours(1), maxStrategies, Duration.ofSeconds(10),
        new SloSettings.AlertRule("page", Duration.ofHours(1), Duration.ofMinutes(5), 14.4),
        new SloSettings.AlertRule("ticket", Duration.ofHours(6), Duration.ofMinutes(30), 6),
        List.of(new SloSettings.Objective(LATENCY, true, 0.95, Duration.ofSeconds(1), true, Map.of("strict", 0.99)),
            new SloSettings.Objective(API, true, 0.99, null, false, Map.of()),
            new SloSettings.Objective(SloService.SNAPSHOT_SUCCESS, false, 0.99, null, false, Map.of())));
  }

  private final SloService slo = new SloService(settings(2), clock);

  private void at(int minute, int second) {
    clock.set(T0.plus(Duration.ofMinutes(minute)).plusSeconds(second));
  }

  /** {@code bad} of {@code total} API responses were 5xx, in the given minute. */
  private void apiMinute(int minute, int total, int bad) {
    at(minute, 0);
    for (int i = 0; i < total; i++) slo.recordOutcome(API, null, i >= bad);
  }

  private SloService.SloReport report(String name) {
    return slo.report().slos().stream().filter(r -> r.slo().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void fastAndSlowBurnAlertsFireAndClearOnTheirWindows() {
    List<SloService.AlertChange> changes = new ArrayList<>();
    slo.onAlert(changes::add);
    // an hour at 15% errors against a 1% allowance: burn 15 on every window
    for (int m = 0; m < 60; m++) apiMinute(m, 100, 15);
    at(59, 30);
    SloService.SloReport r = report(API);
    assertEquals(Map.of("5m", 15.0, "30m", 15.0, "1h", 15.0, "6h", 15.0), rounded(r.burnRates()));
    assertTrue(r.alerts().get("page").firing());
    assertEquals(clock.instant(), r.alerts().get("page").since());
    assertTrue(r.alerts().get("ticket").firing());
    assertFalse(slo.withinSlo());

    // fixed: five clean minutes empty the 5 m window, so the page clears though the hour still burns
    for (int m = 60; m < 65; m++) apiMinute(m, 100, 0);
    at(64, 30);
    r = report(API);
    assertEquals(0.0, r.burnRates().get("5m"), 1e-9);
    assertEquals(825.0 / 6000 / 0.01, r.burnRates().get("1h"), 1e-9); // minutes 5..64: 55 x 15 bad of 6000
    assertEquals(375.0 / 3000 / 0.01, r.burnRates().get("30m"), 1e-9); // minutes 35..64: 25 x 15 bad of 3000
    assertEquals(900.0 / 6500 / 0.01, r.burnRates().get("6h"), 1e-9);
    assertFalse(r.alerts().get("page").firing());
    assertNull(r.alerts().get("page").since());
    assertTrue(r.alerts().get("ticket").firing());

    // no traffic from minute 65: at 95 the 30 m window (66..95) is empty and the ticket clears
    at(95, 0);
    r = report(API);
    assertEquals(0.0, r.burnRates().get("30m"), 1e-9);
    assertEquals(900.0 / 6500 / 0.01, r.burnRates().get("6h"), 1e-9);
    assertFalse(r.alerts().get("ticket").firing());

    assertEquals(List.of("page:true", "ticket:true", "page:false", "ticket:false"),
        changes.stream().map(c -> c.severity() + ":" + c.firing()).toList());
    assertEquals(List.of("ticket:false", "page:false", "ticket:true", "page:true"),
        slo.report().recentAlerts().stream().map(c -> c.severity() + ":" + c.firing()).toList());
  }

  @Test
  void aShortBurstAloneDoesNotPage() {
    // 59 clean minutes, then one minute of 50% errors: the 5 m window burns 10, the hour 50 / 6000 / 0.01 = 0.83
    for (int m = 0; m < 59; m++) apiMinute(m, 100, 0);
    apiMinute(59, 100, 50);
    SloService.SloReport r = report(API);
    assertEquals(50.0 / 500 / 0.01, r.burnRates().get("5m"), 1e-9);
    assertEquals(50.0 / 6000 / 0.01, r.burnRates().get("1h"), 1e-9);
    assertFalse(r.alerts().get("page").firing());
    assertFalse(r.alerts().get("ticket").firing());
  }

  @Test
  void latencyWindowsRollAndTheBudgetIsSpentByBadEvents() {
    // 200 orders in minute 0: 5 took longer than the 1 s threshold (exactly 1 s is still good)
    at(0, 10);
    for (int i = 0; i < 195; i++) slo.recordLatency(LATENCY, null, Duration.ofMillis(i % 2 == 0 ? 1000 : 3));
    for (int i = 0; i < 5; i++) slo.recordLatency(LATENCY, null, Duration.ofMillis(1001));
    at(4, 59);
    SloService.SloReport r = report(LATENCY);
    assertEquals(5.0 / 200 / 0.05, r.burnRates().get("5m"), 1e-9); // 0.5
    assertEquals(195, r.good());
    assertEquals(200, r.total());
    assertEquals(0.975, r.compliance(), 1e-12);
    assertEquals(0.5, r.errorBudgetRemaining(), 1e-12); // 10 bad allowed, 5 spent
    assertEquals(1000L, r.thresholdMs());
    assertTrue(r.withinSlo());
    // at 5:00 minute 0 leaves the 5 m window but not the 30 m one, nor the compliance period
    at(5, 0);
    r = report(LATENCY);
    assertEquals(0.0, r.burnRates().get("5m"), 1e-9);
    assertEquals(0.5, r.burnRates().get("30m"), 1e-9);
    assertEquals(0.5, r.errorBudgetRemaining(), 1e-12);
    // one day later the compliance period has let go of it too
    clock.set(T0.plus(Duration.ofDays(1)).plusSeconds(3600));
    r = report(LATENCY);
    assertEquals(0, r.total());
    assertEquals(1.0, r.errorBudgetRemaining());
  }

  @Test
  void anOverspentBudgetGoesNegativeAndLeavesTheSlo() {
    at(0, 0);
    for (int i = 0; i < 100; i++) slo.recordLatency(LATENCY, null, Duration.ofMillis(i < 10 ? 2000 : 10));
    SloService.SloReport r = report(LATENCY);
    assertEquals(0.9, r.compliance(), 1e-12);
    assertEquals(1.0 - 10 / (0.05 * 100), r.errorBudgetRemaining(), 1e-12); // -1: twice the budget spent
    assertFalse(r.withinSlo());
    assertFalse(slo.withinSlo());
  }

  @Test
  void strategiesAreTrackedUpToTheBoundAndAllCountGlobally() {
    at(0, 0);
    slo.recordLatency(LATENCY, "alpha", Duration.ofMillis(5));
    slo.recordLatency(LATENCY, "strict", Duration.ofMillis(5000));
    slo.recordLatency(LATENCY, "gamma", Duration.ofMillis(5000)); // the third strategy: global only
    slo.recordLatency(LATENCY, null, Duration.ofMillis(5));
    for (int i = 0; i < 1000; i++) slo.recordLatency(LATENCY, "strategy-" + i, Duration.ofMillis(5));
    SloService.SloReport r = report(LATENCY);
    assertEquals(1004, r.total());
    assertEquals(List.of("alpha", "strict"), r.strategies().stream().map(SloService.SloReport::strategy).toList());
    SloService.SloReport strict = r.strategies().get(1);
    assertEquals(0.99, strict.objective()); // strategy-objectives
    assertEquals(1, strict.total());
    assertEquals(1.0 / 0.01, strict.burnRates().get("5m"), 1e-9);
    assertTrue(strict.alerts().get("page").firing());
    assertEquals(0.95, r.strategies().get(0).objective());
    assertFalse(slo.withinSlo()); // a strategy's alert is enough
  }

  @Test
  void sloWithoutStrategiesIgnoresTheStrategyAndDisabledSlosRecordNothing() {
    slo.recordOutcome(API, "alpha", false);
    assertEquals(List.of(), report(API).strategies());
    assertEquals(1, report(API).total());
    slo.recordOutcome(SloService.SNAPSHOT_SUCCESS, null, false);
    assertTrue(slo.report().slos().stream().noneMatch(r -> r.slo().equals(SloService.SNAPSHOT_SUCCESS)));
    assertThrows(IllegalArgumentException.class, () -> slo.recordOutcome("no-such-slo", null, true));
    assertThrows(IllegalArgumentException.class, () -> slo.recordLatency(API, null, Duration.ZERO));
  }

  @Test
  void withinSloWhenNothingFiresAndComplianceHolds() {
    assertTrue(slo.withinSlo());
    apiMinute(0, 100, 100);
    assertFalse(slo.withinSlo());
    // recovery: ten busy clean minutes; 100 bad of 100100 is within 1%, and the 5 m window is clean
    for (int m = 1; m <= 10; m++) apiMinute(m, 10_000, 0);
    assertTrue(slo.withinSlo());
    assertTrue(report(API).compliance() >= 0.99);
  }

  @Test
  void theShippedConfigLoads() {
    SloSettings s = SloSettings.fromConfig(AppConfig.load().getConfig("spark.slo"));
    assertEquals(360, s.windowBuckets());
    assertEquals(720, s.complianceBuckets());
    assertEquals(List.of(Duration.ofMinutes(5), Duration.ofMinutes(30), Duration.ofHours(1), Duration.ofHours(6)), s.windows());
    assertEquals(List.of(SloService.API_ERRORS, SloService.PLACE_ACK_LATENCY, SloService.SIGNAL_LATENCY, SloService.SNAPSHOT_SUCCESS,
        SloService.WS_AVAILABILITY), s.objectives().stream().map(SloSettings.Objective::name).toList());
    assertEquals(0.999, s.objectives().get(4).objective());
    assertEquals(Duration.ofSeconds(1), s.objectives().get(1).threshold());
  }

  @Test
  void theSlosTheRoomsRecordIntoMustStayConfigured() {
    com.typesafe.config.Config shipped = AppConfig.load().getConfig("spark.slo");
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> SloSettings.fromConfig(shipped.withoutPath("objectives.api-errors")));
    assertTrue(missing.getMessage().contains("api-errors"), missing.getMessage());
    IllegalArgumentException noThreshold = assertThrows(IllegalArgumentException.class,
        () -> SloSettings.fromConfig(shipped.withoutPath("objectives.place-ack-latency.threshold")));
    assertTrue(noThreshold.getMessage().contains("needs a threshold"), noThreshold.getMessage());
    assertThrows(IllegalArgumentException.class, () -> SloSettings.fromConfig(com.typesafe.config.ConfigFactory.parseString(
        "compliance-period = 365 days").withFallback(shipped)));
  }

  @Test
  void wsAvailabilityCountsServerFaultsAndUnknownReasonsAsBad() {
    SloService ws = new SloService(new SloSettings(Duration.ofMinutes(1), Duration.ofDays(1), Duration.ofHours(1), 2, Duration.ofSeconds(10),
        settings(2).page(), settings(2).ticket(), List.of(new SloSettings.Objective(SloService.WS_AVAILABILITY, true, 0.999, null, false,
            Map.of()))), clock);
    SloSources sources = new SloSources(ws, clock);
    for (String reason : List.of("client_closed", "pong_timeout", "slow_consumer", "server_shutdown", "connection_lost", "server_error",
        "chaos_flap")) {
      sources.feedClosed(reason);
    }
    SloService.SloReport r = ws.report().slos().get(0);
    assertEquals(5, r.good());
    assertEquals(7, r.total());
  }

  @Test
  void apiErrorsCountPrivateResponsesAndTheir5xxOnly() {
    SloSources sources = new SloSources(slo, clock);
    sources.apiErrors().responded("/api/private/order", 200);
    sources.apiErrors().responded("/api/private/order", 422);
    sources.apiErrors().responded("/api/private/order", 503);
    sources.apiErrors().responded("/api/private/order/{clientOrderId}", 500);
    sources.apiErrors().responded("/api/public/ready", 503);
    sources.apiErrors().responded("unmatched", 404);
    SloService.SloReport r = report(API);
    assertEquals(2, r.good());
    assertEquals(4, r.total());
  }

  private static Map<String, Double> rounded(Map<String, Double> m) {
    Map<String, Double> out = new java.util.LinkedHashMap<>();
    m.forEach((k, v) -> out.put(k, Math.round(v * 1e6) / 1e6));
    return out;
  }
}
