package io.sparkexec.chaos;

import com.typesafe.config.Config;
import io.sparkexec.metrics.Metrics;
import io.sparkexec.venue.Venue;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chaos switchboard's public face: changes go to the {@link Chaos} actor (journaled first);
 * what is in force is kept in a volatile snapshot that the injectors read on every request
 * without an ask. In TRADE_MODE=live chaos stays off unless CHAOS_ALLOW_LIVE=true. After chaos is
 * cleared, a recovery watch asks {@code withinSlo} until the executor is back within its SLOs.
 */
public final class ChaosService {

  private static final Logger log = LoggerFactory.getLogger(ChaosService.class);

  public record Settings(ChaosSettings defaults, boolean liveMode, boolean allowLive, Duration venueTimeoutAfter,
      Duration recoveryCheckInterval, int snapshotEvery, int auditKeep, Duration askTimeout) {

    public static Settings fromConfig(Config chaos, String tradeMode, Duration askTimeout) {
      return new Settings(ChaosSettings.fromConfig(chaos), "live".equals(tradeMode), chaos.getBoolean("allow-live"),
          chaos.getDuration("venue-timeout-after"), chaos.getDuration("recovery-check-interval"), chaos.getInt("snapshot-every"),
          chaos.getInt("audit-keep"), askTimeout);
    }

    /** True when these settings may not be put in force here (live without CHAOS_ALLOW_LIVE). */
    public boolean refuses(ChaosSettings s) {
      return s.active() && liveMode && !allowLive;
    }
  }

  /** The last return within SLO after chaos was cleared (recoveredAt null: still waiting). */
  public record Recovery(Instant clearedAt, Instant recoveredAt, Long tookMs) {}

  /** What GET shows: the journaled settings, those in force (differs only when live refuses them), and the audit log. */
  public record View(ChaosSettings settings, ChaosSettings inForce, String source, boolean refusedLive, List<Chaos.AuditEntry> audit,
      Recovery recovery) {}

  private static final String[] SETTING_NAMES =
      {"httpErrorPct", "httpLatencyMs", "venueErrorPct", "venueLatencyMs", "venueTimeoutPct", "wsFlapSec"};

  private final ActorSystem<?> system;
  private final Settings settings;
  private final Clock clock;
  private final BooleanSupplier withinSlo;
  private final List<Consumer<ChaosSettings>> listeners = new CopyOnWriteArrayList<>();
  private final ActorRef<Chaos.Command> actor;
  private volatile ChaosSettings inForce = ChaosSettings.OFF;
  private boolean started;
  private Cancellable recoveryWatch;
  private volatile Recovery recovery;

  /**
   * {@code spawn} starts the chaos actor (the guardian names it); {@code withinSlo} answers
   * whether the executor is within its SLOs now (the recovery watch).
   */
  public ChaosService(ActorSystem<?> system, Function<Behavior<Chaos.Command>, ActorRef<Chaos.Command>> spawn, Settings settings,
      Clock clock, BooleanSupplier withinSlo) {
    this.system = system;
    this.settings = settings;
    this.clock = clock;
    this.withinSlo = withinSlo;
    publishGauge(ChaosSettings.OFF);
    this.actor = spawn.apply(Chaos.create(new Chaos.Deps(clock, settings.defaults(), settings.snapshotEvery(), settings.auditKeep(),
        this::onState)));
  }

  public Settings settings() {
    return settings;
  }

  /** The settings in force now: what the injectors read, never an ask. */
  public ChaosSettings current() {
    return inForce;
  }

  /** Hears the settings in force now and after every change (the feed's flap period); must not block. */
  public synchronized void onSettings(Consumer<ChaosSettings> listener) {
    listeners.add(listener);
    listener.accept(inForce);
  }

  /** Journals the change and puts it in force; fails with {@link RefusedLive} in live mode without CHAOS_ALLOW_LIVE. */
  public CompletionStage<View> change(ChaosSettings to, String action, String reason, String by) {
    if (settings.refuses(to)) return CompletableFuture.failedFuture(new RefusedLive());
    return AskPattern.<Chaos.Command, Chaos.State>ask(actor, replyTo -> new Chaos.Change(to, action, reason, by, replyTo),
        settings.askTimeout(), system.scheduler()).thenApply(this::view);
  }

  public CompletionStage<View> view() {
    return AskPattern.<Chaos.Command, Chaos.State>ask(actor, Chaos.Get::new, settings.askTimeout(), system.scheduler())
        .thenApply(this::view);
  }

  public Venue wrap(Venue venue) {
    return new ChaosVenue(venue, this::current, system, settings.venueTimeoutAfter());
  }

  public ChaosInjection injection() {
    return new ChaosInjection(this::current, system);
  }

  /** Chaos refused because TRADE_MODE=live and CHAOS_ALLOW_LIVE is not true. */
  public static final class RefusedLive extends RuntimeException {
    RefusedLive() {
      super("chaos cannot be enabled in TRADE_MODE=live unless CHAOS_ALLOW_LIVE=true", null, false, false);
    }
  }

  private View view(Chaos.State s) {
    return new View(s.settings(), inForce, s.source(), settings.refuses(s.settings()), s.audit(), recovery);
  }

  /** From the actor: after recovery (first call) and after every journaled change. */
  private synchronized void onState(Chaos.State s) {
    ChaosSettings next = s.settings();
    if (settings.refuses(next)) {
      log.error("event=chaos_refused_live source={} settings=\"{}\" message=\"TRADE_MODE=live: chaos stays off; set CHAOS_ALLOW_LIVE=true to allow it\"",
          s.source(), next.describe());
      next = ChaosSettings.OFF;
    }
    if (!started) {
      started = true;
      log.info("event=chaos_started source={} settings=\"{}\"", s.source(), next.describe());
    } else if (!s.audit().isEmpty()) {
      Chaos.AuditEntry e = s.audit().get(s.audit().size() - 1);
      log.info("event=chaos_changed action={} by={} reason=\"{}\" settings=\"{}\"", e.action(), e.by(), e.reason(), next.describe());
    }
    ChaosSettings before = inForce;
    inForce = next;
    publishGauge(next);
    if (before.active() && !next.active()) watchRecovery();
    if (next.active()) stopRecoveryWatch();
    for (Consumer<ChaosSettings> l : listeners) l.accept(next);
  }

  private void publishGauge(ChaosSettings s) {
    int[] values = {s.httpErrorPct(), s.httpLatencyMs(), s.venueErrorPct(), s.venueLatencyMs(), s.venueTimeoutPct(), s.wsFlapSec()};
    for (int i = 0; i < values.length; i++) Metrics.CHAOS_SETTING.withTag("setting", SETTING_NAMES[i]).update(values[i]);
  }

  private void watchRecovery() {
    stopRecoveryWatch();
    Instant clearedAt = clock.instant();
    recovery = new Recovery(clearedAt, null, null);
    recoveryWatch = system.scheduler().scheduleAtFixedRate(Duration.ZERO, settings.recoveryCheckInterval(),
        () -> checkRecovery(clearedAt), system.executionContext());
  }

  private synchronized void checkRecovery(Instant clearedAt) {
    Recovery r = recovery;
    if (recoveryWatch == null || r == null || !r.clearedAt().equals(clearedAt) || !withinSlo.getAsBoolean()) return;
    Instant now = clock.instant();
    long took = Duration.between(clearedAt, now).toMillis();
    recovery = new Recovery(clearedAt, now, took);
    Metrics.CHAOS_RECOVERY.withoutTags().increment();
    log.info("event=chaos_recovered withinSloAfterMs={}", took);
    stopRecoveryWatch();
  }

  private void stopRecoveryWatch() {
    if (recoveryWatch != null) recoveryWatch.cancel();
    recoveryWatch = null;
  }
}
