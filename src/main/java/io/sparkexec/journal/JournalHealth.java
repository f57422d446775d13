package io.sparkexec.journal;

import io.sparkexec.metrics.Metrics;
import java.time.Duration;
import java.time.Instant;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Fail closed: when something suspects the journal (an order that could not be journaled in
 * time), a probe write decides. A failed probe reports the journal down (ready and new orders
 * go to 503) and is retried until a write succeeds, which reports it up again.
 */
public final class JournalHealth {

  public sealed interface Command {}

  /** Something saw a symptom (timeouts, persist failures); check the journal now. */
  public record Suspect(String reason) implements Command {}

  private record ProbeDone(boolean ok, String error) implements Command {}

  private enum Recheck implements Command {
    INSTANCE
  }

  /** What the rest of the node is told: up (detail) or down (reason). */
  public interface Listener {
    void up(String detail);

    void down(String reason);
  }

  public static Behavior<Command> create(Duration probeTimeout, Duration recheckEvery, Listener listener) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new JournalHealth(ctx, timers, probeTimeout, recheckEvery, listener).healthy()));
  }

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final Duration probeTimeout;
  private final Duration recheckEvery;
  private final Listener listener;
  private final ActorRef<JournalProbe.Command> probe;
  private boolean probing;

  private JournalHealth(ActorContext<Command> ctx, TimerScheduler<Command> timers, Duration probeTimeout, Duration recheckEvery, Listener listener) {
    this.ctx = ctx;
    this.timers = timers;
    this.probeTimeout = probeTimeout;
    this.recheckEvery = recheckEvery;
    this.listener = listener;
    this.probe = ctx.spawn(Behaviors.supervise(JournalProbe.create(nodeId(ctx)))
        .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(2), 0.2)), "journal-probe");
  }

  /** Stable across restarts (no port: it may be 0), distinct per host once there are several nodes. */
  private static String nodeId(ActorContext<?> ctx) {
    return ctx.getSystem().address().getHost().orElse("local").replaceAll("[^A-Za-z0-9]", "_");
  }

  private Behavior<Command> healthy() {
    return Behaviors.receive(Command.class)
        .onMessage(Suspect.class, s -> {
          ctx.getLog().warn("event=journal_suspect reason=\"{}\"", s.reason());
          runProbe();
          return Behaviors.same();
        })
        .onMessage(ProbeDone.class, p -> {
          probing = false;
          if (p.ok()) return Behaviors.same();
          return failing(p.error());
        })
        .build();
  }

  private Behavior<Command> failing(String error) {
    Metrics.JOURNAL_FAILURES.withoutTags().increment();
    ctx.getLog().error("event=journal_failed action=fail_closed error=\"{}\"", error);
    listener.down(error);
    timers.startSingleTimer(Recheck.INSTANCE, recheckEvery);
    return Behaviors.receive(Command.class)
        .onMessage(Suspect.class, s -> Behaviors.same())
        .onMessage(Recheck.class, r -> {
          runProbe();
          return Behaviors.same();
        })
        .onMessage(ProbeDone.class, p -> {
          probing = false;
          if (!p.ok()) {
            Metrics.JOURNAL_FAILURES.withoutTags().increment();
            timers.startSingleTimer(Recheck.INSTANCE, recheckEvery);
            return Behaviors.same();
          }
          ctx.getLog().info("event=journal_recovered action=reopen");
          listener.up("journal writes succeed again");
          return healthy();
        })
        .build();
  }

  private void runProbe() {
    if (probing) return;
    probing = true;
    ctx.ask(JournalProbe.Written.class, probe, probeTimeout, replyTo -> new JournalProbe.Write(Instant.now(), replyTo),
        (written, error) -> new ProbeDone(error == null, error == null ? null : String.valueOf(error)));
  }
}
