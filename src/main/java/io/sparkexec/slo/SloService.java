package io.sparkexec.slo;

import io.sparkexec.metrics.Metrics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import kamon.metric.Counter;
import kamon.tag.TagSet;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Service level objectives with multi-window burn-rate alerts. Recording is lock-free (one CAS
 * per ring, see {@link BucketRing}) so the order path can call it for every order; evaluation
 * (alerts, gauges, the report) sums the rings under this object's lock, off the hot path.
 * Counts live in memory only: a restart starts every SLO afresh ("since" in the report).
 */
public final class SloService {

  private static final Logger log = LoggerFactory.getLogger(SloService.class);

  public static final String PLACE_ACK_LATENCY = "place-ack-latency";
  public static final String API_ERRORS = "api-errors";
  public static final String WS_AVAILABILITY = "ws-availability";
  public static final String SIGNAL_LATENCY = "signal-latency";
  public static final String SNAPSHOT_SUCCESS = "snapshot-success";
  // alert transitions kept for the report (the chaos drill lists the alerts that fired)
  private static final int RECENT_ALERTS = 50;

  /** An alert started or stopped firing; {@code strategy} null for the global SLO. */
  public record AlertChange(String slo, String strategy, String severity, boolean firing, double longBurnRate, double shortBurnRate, Instant at) {
    /** As published on the feed's system channel (no strategy for a global SLO). */
    public Map<String, Object> fields() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("slo", slo);
      if (strategy != null) m.put("strategy", strategy);
      m.put("severity", severity);
      m.put("firing", firing);
      m.put("longBurnRate", round(longBurnRate));
      m.put("shortBurnRate", round(shortBurnRate));
      m.put("at", at.toString());
      return m;
    }
  }

  public record AlertState(boolean firing, Instant since, double burnRateThreshold, String longWindow, String shortWindow) {}

  /**
   * One SLO in one scope. {@code good}/{@code total} and compliance cover the compliance period
   * (or since tracking began, when later); burn rates cover each alert window.
   */
  public record SloReport(String slo, String strategy, double objective, Long thresholdMs, Instant since, long good, long total,
      double compliance, double errorBudgetRemaining, Map<String, Double> burnRates, Map<String, AlertState> alerts, boolean withinSlo,
      List<SloReport> strategies) {}

  public record Report(Instant evaluatedAt, boolean withinSlo, String compliancePeriod, List<SloReport> slos, List<AlertChange> recentAlerts) {}

  private final SloSettings settings;
  private final Clock clock;
  private final Map<String, Tracked> tracked;
  private final List<Consumer<AlertChange>> alertListeners = new CopyOnWriteArrayList<>();
  private final Deque<AlertChange> recentAlerts = new ArrayDeque<>();

  public SloService(SloSettings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
    Map<String, Tracked> m = new LinkedHashMap<>();
    for (SloSettings.Objective o : settings.objectives()) m.put(o.name(), new Tracked(o, clock.instant()));
    this.tracked = Map.copyOf(m);
  }

  public SloSettings settings() {
    return settings;
  }

  /** Evaluates at once (the gauges exist from start) and then every {@code evaluate-every}: alert transitions are logged and the gauges refreshed. */
  public void startEvaluating(ActorSystem<?> system) {
    Duration every = settings.evaluateEvery();
    system.scheduler().scheduleAtFixedRate(Duration.ZERO, every, this::evaluate, system.executionContext());
    log.info("event=slo_started slos={} evaluateEveryMs={} compliancePeriod={}", tracked.keySet().stream().sorted().toList(),
        every.toMillis(), label(settings.compliancePeriod()));
  }

  /** Called on every alert transition (from the evaluating thread); e.g. to publish it on the feed. */
  public void onAlert(Consumer<AlertChange> listener) {
    alertListeners.add(listener);
  }

  // ---------------------------------------------------------------- recording (hot path, lock-free)

  /** A latency SLO's event: good when {@code took} is within the SLO's threshold. {@code strategy} may be null. */
  public void recordLatency(String slo, String strategy, Duration took) {
    Tracked t = tracked(slo);
    if (t == null) return;
    if (t.objective.threshold() == null) throw new IllegalArgumentException("SLO " + slo + " has no latency threshold");
    t.record(strategy, took.compareTo(t.objective.threshold()) <= 0, clock.millis());
  }

  /** One event of any SLO; for a latency SLO, an event whose latency is unknown but surely bad (e.g. no answer). */
  public void recordOutcome(String slo, String strategy, boolean good) {
    Tracked t = tracked(slo);
    if (t != null) t.record(strategy, good, clock.millis());
  }

  /** Null when the SLO is disabled (recording is then a no-op); unknown names are a bug. */
  private Tracked tracked(String slo) {
    Tracked t = tracked.get(slo);
    if (t == null) throw new IllegalArgumentException("unknown SLO " + slo + "; configured: " + tracked.keySet());
    return t.objective.enabled() ? t : null;
  }

  // ---------------------------------------------------------------- evaluation

  /** Every SLO now, alerts evaluated (transitions logged) and gauges refreshed. */
  public synchronized Report report() {
    Instant now = clock.instant();
    List<SloReport> slos = new ArrayList<>();
    boolean within = true;
    for (SloSettings.Objective o : settings.objectives()) {
      Tracked t = tracked.get(o.name());
      if (!o.enabled()) continue;
      List<SloReport> perStrategy = new ArrayList<>();
      for (Series s : t.strategies.values()) perStrategy.add(evaluate(t, s, now, List.of()));
      perStrategy.sort((a, b) -> a.strategy().compareTo(b.strategy()));
      SloReport global = evaluate(t, t.global, now, perStrategy);
      within &= global.withinSlo() && perStrategy.stream().allMatch(SloReport::withinSlo);
      slos.add(global);
    }
    return new Report(now, within, label(settings.compliancePeriod()), slos, List.copyOf(recentAlerts));
  }

  public void evaluate() {
    report();
  }

  /** No alert firing and compliance at or above the objective, for every SLO and tracked strategy. */
  public boolean withinSlo() {
    return report().withinSlo();
  }

  private SloReport evaluate(Tracked t, Series s, Instant now, List<SloReport> strategies) {
    long nowMillis = now.toEpochMilli();
    Map<String, Double> burn = new LinkedHashMap<>();
    for (Duration w : settings.windows()) burn.put(label(w), s.window.sum(nowMillis, buckets(w)).burnRate(s.objective));
    BucketRing.Counts period = s.compliance.sum(nowMillis, s.compliance.buckets());
    Map<String, AlertState> alerts = new LinkedHashMap<>();
    boolean firing = false;
    for (SloSettings.AlertRule rule : List.of(settings.page(), settings.ticket())) {
      double longBurn = burn.get(label(rule.longWindow()));
      double shortBurn = burn.get(label(rule.shortWindow()));
      boolean fires = longBurn > rule.burnRate() && shortBurn > rule.burnRate();
      Instant since = s.transition(t.objective.name(), rule.severity(), fires, longBurn, shortBurn, now);
      alerts.put(rule.severity(), new AlertState(fires, since, rule.burnRate(), label(rule.longWindow()), label(rule.shortWindow())));
      firing |= fires;
    }
    double compliance = period.compliance();
    double budgetLeft = period.total() == 0 ? 1.0 : 1.0 - period.bad() / ((1.0 - s.objective) * period.total());
    s.gauges(burn, alerts, compliance, budgetLeft);
    Duration threshold = t.objective.threshold();
    return new SloReport(t.objective.name(), s.strategy, s.objective, threshold == null ? null : threshold.toMillis(), s.since, period.good(),
        period.total(), compliance, budgetLeft, burn, alerts, !firing && compliance >= s.objective, strategies);
  }

  private int buckets(Duration window) {
    return (int) (window.toMillis() / settings.bucket().toMillis());
  }

  private void alertChanged(AlertChange change) {
    if (change.firing()) {
      log.warn("event=slo_alert_firing slo={} strategy={} severity={} longBurnRate={} shortBurnRate={}", change.slo(), change.strategy(),
          change.severity(), round(change.longBurnRate()), round(change.shortBurnRate()));
    } else {
      log.info("event=slo_alert_resolved slo={} strategy={} severity={}", change.slo(), change.strategy(), change.severity());
    }
    recentAlerts.addFirst(change);
    while (recentAlerts.size() > RECENT_ALERTS) recentAlerts.removeLast();
    for (Consumer<AlertChange> l : alertListeners) {
      try {
        l.accept(change);
      } catch (RuntimeException e) {
        log.error("event=slo_alert_listener_failed error=\"{}\"", e.toString());
      }
    }
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  /** Window labels as Prometheus writes durations: 5m, 1h, 6h, 30d. */
  static String label(Duration d) {
    long s = d.toSeconds();
    if (s % 86400 == 0) return s / 86400 + "d";
    if (s % 3600 == 0) return s / 3600 + "h";
    if (s % 60 == 0) return s / 60 + "m";
    return s + "s";
  }

  // ---------------------------------------------------------------- state

  /** One configured SLO: the global series and, bounded by max-strategies, one per strategy. */
  private final class Tracked {
    final SloSettings.Objective objective;
    final Series global;
    final Map<String, Series> strategies = new ConcurrentHashMap<>();
    final AtomicInteger strategySlots = new AtomicInteger();
    final AtomicBoolean overflowLogged = new AtomicBoolean();
    final Counter good;
    final Counter bad;

    Tracked(SloSettings.Objective objective, Instant since) {
      this.objective = objective;
      this.global = new Series(objective.name(), null, objective.objective(), since);
      // whole tag sets at once: chained withTag would also register (and export) a series per prefix
      this.good = Metrics.SLO_EVENTS.withTags(TagSet.of("slo", objective.name()).withTag("result", "good"));
      this.bad = Metrics.SLO_EVENTS.withTags(TagSet.of("slo", objective.name()).withTag("result", "bad"));
      if (objective.enabled()) Metrics.SLO_OBJECTIVE.withTag("slo", objective.name()).update(objective.objective());
    }

    void record(String strategy, boolean ok, long nowMillis) {
      global.record(nowMillis, ok);
      (ok ? good : bad).increment();
      if (strategy == null || !objective.perStrategy()) return;
      Series s = strategies.get(strategy);
      if (s == null) s = track(strategy, nowMillis);
      if (s != null) s.record(nowMillis, ok);
    }

    /** Once per strategy: reserve a slot without a lock; past the bound the strategy counts globally only. */
    private Series track(String strategy, long nowMillis) {
      if (strategySlots.incrementAndGet() > settings.maxStrategies()) {
        strategySlots.decrementAndGet();
        Metrics.SLO_UNTRACKED_STRATEGY_EVENTS.withTag("slo", objective.name()).increment();
        if (overflowLogged.compareAndSet(false, true)) {
          log.warn("event=slo_strategies_full slo={} maxStrategies={} strategy={} message=\"further strategies count in the global SLO only\"",
              objective.name(), settings.maxStrategies(), strategy);
        }
        return null;
      }
      Series created = new Series(objective.name(), strategy, objective.objectiveFor(strategy), Instant.ofEpochMilli(nowMillis));
      Series raced = strategies.putIfAbsent(strategy, created);
      if (raced != null) strategySlots.decrementAndGet();
      return raced != null ? raced : created;
    }
  }

  /** One SLO in one scope: the two rings, and the alert state (guarded by the service's lock). */
  private final class Series {
    final String slo;
    final String strategy;
    final double objective;
    final Instant since;
    final BucketRing window = new BucketRing(settings.bucket().toMillis(), settings.windowBuckets());
    final BucketRing compliance = new BucketRing(settings.complianceBucket().toMillis(), settings.complianceBuckets());
    final Map<String, Instant> firingSince = new LinkedHashMap<>();

    Series(String slo, String strategy, double objective, Instant since) {
      this.slo = slo;
      this.strategy = strategy;
      this.objective = objective;
      this.since = since;
    }

    void record(long nowMillis, boolean ok) {
      window.record(nowMillis, ok);
      compliance.record(nowMillis, ok);
    }

    /** The alert's firing-since after this evaluation (null when not firing); a change is announced. */
    Instant transition(String sloName, String severity, boolean fires, double longBurn, double shortBurn, Instant now) {
      Instant was = firingSince.get(severity);
      if (fires == (was != null)) return was;
      if (fires) firingSince.put(severity, now);
      else firingSince.remove(severity);
      alertChanged(new AlertChange(sloName, strategy, severity, fires, longBurn, shortBurn, now));
      return fires ? now : null;
    }

    void gauges(Map<String, Double> burn, Map<String, AlertState> alerts, double compliance, double budgetLeft) {
      TagSet tags = strategy == null ? TagSet.of("slo", slo) : TagSet.of("slo", slo).withTag("strategy", strategy);
      burn.forEach((w, rate) -> Metrics.SLO_BURN_RATE.withTags(tags.withTag("window", w)).update(rate));
      alerts.forEach((severity, a) -> Metrics.SLO_ALERT.withTags(tags.withTag("severity", severity)).update(a.firing() ? 1 : 0));
      Metrics.SLO_COMPLIANCE.withTags(tags).update(compliance);
      // Kamon gauges drop negative values: the metric stops at 0, the report shows how far overspent
      Metrics.SLO_ERROR_BUDGET_REMAINING.withTags(tags).update(Math.max(0, budgetLeft));
    }
  }
}
