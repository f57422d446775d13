package io.sparkexec.slo;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code spark.slo}: the objectives, the bucket rings and the alert rules (conf/slo.conf). */
public record SloSettings(Duration bucket, Duration compliancePeriod, Duration complianceBucket, int maxStrategies, Duration evaluateEvery,
    AlertRule page, AlertRule ticket, List<Objective> objectives) {

  /**
   * One SLO: good events over all events must stay at or above {@code objective}. A latency SLO
   * ({@code threshold} not null) calls an event good when it took at most the threshold.
   */
  public record Objective(String name, boolean enabled, double objective, Duration threshold, boolean perStrategy,
      Map<String, Double> strategyObjectives) {
    public Objective {
      requireObjective(name, objective);
      strategyObjectives.forEach((strategy, o) -> requireObjective(name + "." + strategy, o));
      strategyObjectives = Map.copyOf(strategyObjectives);
    }

    public double objectiveFor(String strategy) {
      return strategy == null ? objective : strategyObjectives.getOrDefault(strategy, objective);
    }
  }

  /** Fires when both windows burn the budget faster than {@code burnRate} times the sustainable rate. */
  public record AlertRule(String severity, Duration longWindow, Duration shortWindow, double burnRate) {}

  public SloSettings {
    objectives = List.copyOf(objectives);
    for (Duration w : List.of(page.longWindow(), page.shortWindow(), ticket.longWindow(), ticket.shortWindow())) {
      if (w.isZero() || w.isNegative() || w.toMillis() % bucket.toMillis() != 0) {
        throw new IllegalArgumentException("spark.slo: alert window " + w + " must be a positive multiple of the bucket " + bucket);
      }
    }
    if (compliancePeriod.toMillis() % complianceBucket.toMillis() != 0) {
      throw new IllegalArgumentException("spark.slo: compliance-period must be a multiple of compliance-bucket");
    }
    if (maxStrategies < 0) throw new IllegalArgumentException("spark.slo.max-strategies must not be negative");
    long longest = List.of(page.longWindow(), page.shortWindow(), ticket.longWindow(), ticket.shortWindow()).stream()
        .mapToLong(Duration::toMillis).max().orElseThrow();
    if (longest / bucket.toMillis() > MAX_BUCKETS || compliancePeriod.toMillis() / complianceBucket.toMillis() > MAX_BUCKETS) {
      throw new IllegalArgumentException("spark.slo: at most " + MAX_BUCKETS + " buckets per ring (longest window / bucket, compliance-period / compliance-bucket)");
    }
  }

  private static final int MAX_BUCKETS = 4094;

  /** Buckets the fine ring needs: the longest alert window. */
  int windowBuckets() {
    return (int) (longestWindow().toMillis() / bucket.toMillis());
  }

  int complianceBuckets() {
    return (int) (compliancePeriod.toMillis() / complianceBucket.toMillis());
  }

  Duration longestWindow() {
    Duration longest = page.longWindow();
    for (Duration w : List.of(page.shortWindow(), ticket.longWindow(), ticket.shortWindow())) if (w.compareTo(longest) > 0) longest = w;
    return longest;
  }

  /** The distinct alert windows, shortest first: what the burn rates are reported over. */
  List<Duration> windows() {
    return List.of(page.shortWindow(), ticket.shortWindow(), page.longWindow(), ticket.longWindow()).stream().distinct().sorted().toList();
  }

  /**
   * The executor's rooms record into these by name: they must stay configured (switch one off
   * with {@code enabled = false}), the latency ones with a threshold, or every record would fail.
   */
  public static SloSettings fromConfig(Config slo) {
    Config objectives = slo.getConfig("objectives");
    List<Objective> list = objectives.root().keySet().stream().sorted().map(name -> objective(name, objectives.getConfig(name))).toList();
    for (String name : List.of(SloService.PLACE_ACK_LATENCY, SloService.API_ERRORS, SloService.WS_AVAILABILITY, SloService.SIGNAL_LATENCY,
        SloService.SNAPSHOT_SUCCESS)) {
      Objective o = list.stream().filter(x -> x.name().equals(name)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("spark.slo.objectives." + name + " is missing; set enabled = false to switch it off"));
      boolean latency = name.equals(SloService.PLACE_ACK_LATENCY) || name.equals(SloService.SIGNAL_LATENCY);
      if (latency != (o.threshold() != null)) {
        throw new IllegalArgumentException("spark.slo.objectives." + name + (latency ? " needs a threshold" : " takes no threshold"));
      }
    }
    return new SloSettings(slo.getDuration("bucket"), slo.getDuration("compliance-period"), slo.getDuration("compliance-bucket"),
        slo.getInt("max-strategies"), slo.getDuration("evaluate-every"), rule("page", slo.getConfig("alerts.page")),
        rule("ticket", slo.getConfig("alerts.ticket")), list);
  }

  private static Objective objective(String name, Config c) {
    Map<String, Double> perStrategy = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigValue> e : c.getConfig("strategy-objectives").root().entrySet()) {
      perStrategy.put(e.getKey(), ((Number) e.getValue().unwrapped()).doubleValue());
    }
    return new Objective(name, c.getBoolean("enabled"), c.getDouble("objective"), c.hasPath("threshold") ? c.getDuration("threshold") : null,
        c.getBoolean("per-strategy"), perStrategy);
  }

  private static AlertRule rule(String severity, Config c) {
    return new AlertRule(severity, c.getDuration("long-window"), c.getDuration("short-window"), c.getDouble("burn-rate"));
  }

  private static void requireObjective(String name, double objective) {
    if (!(objective > 0 && objective < 1)) throw new IllegalArgumentException("spark.slo.objectives." + name + ": objective must be in (0, 1), was " + objective);
  }
}
