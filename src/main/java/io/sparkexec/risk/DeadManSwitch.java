package io.sparkexec.risk;

import io.sparkexec.metrics.Metrics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Per strategy: a heartbeat arms (or re-arms) a window; when the window passes without another
 * heartbeat, the strategy's open orders are canceled, and the firing is logged, counted and put
 * on the system events. A heartbeat with window 0 disarms. Arms are not journaled: after a
 * restart a strategy's next heartbeat arms it again (docs/guardrails.md).
 */
public final class DeadManSwitch {

  public sealed interface Command {}

  /** {@code window} zero disarms. */
  public record Heartbeat(String strategy, Duration window, String by, ActorRef<Armed> replyTo) implements Command {}

  /** {@code deadline} null: disarmed. */
  public record Armed(String strategy, long windowMs, Instant deadline) {}

  private record Expired(String strategy, Duration window) implements Command {}

  private record Canceled(String strategy, Duration window, Integer matched, Throwable error) implements Command {}

  /** {@code cancelOpen}: cancels a strategy's open orders and answers how many matched. */
  public static Behavior<Command> create(Clock clock, Function<String, CompletionStage<Integer>> cancelOpen, SystemEvents events) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new DeadManSwitch(ctx, timers, clock, cancelOpen, events).behavior()));
  }

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final Clock clock;
  private final Function<String, CompletionStage<Integer>> cancelOpen;
  private final SystemEvents events;

  private DeadManSwitch(ActorContext<Command> ctx, TimerScheduler<Command> timers, Clock clock,
      Function<String, CompletionStage<Integer>> cancelOpen, SystemEvents events) {
    this.ctx = ctx;
    this.timers = timers;
    this.clock = clock;
    this.cancelOpen = cancelOpen;
    this.events = events;
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Heartbeat.class, this::onHeartbeat)
        .onMessage(Expired.class, this::onExpired)
        .onMessage(Canceled.class, this::onCanceled)
        .build();
  }

  private Behavior<Command> onHeartbeat(Heartbeat h) {
    if (h.window().isZero()) {
      timers.cancel(h.strategy());
      ctx.getLog().info("event=dead_man_disarmed strategy={} by={}", h.strategy(), h.by());
      h.replyTo().tell(new Armed(h.strategy(), 0, null));
      return Behaviors.same();
    }
    // same key: a heartbeat replaces the pending timer, so only silence lets it fire
    timers.startSingleTimer(h.strategy(), new Expired(h.strategy(), h.window()), h.window());
    h.replyTo().tell(new Armed(h.strategy(), h.window().toMillis(), clock.instant().plus(h.window())));
    return Behaviors.same();
  }

  private Behavior<Command> onExpired(Expired e) {
    ctx.getLog().warn("event=dead_man_triggered strategy={} windowMs={} action=cancel_open_orders", e.strategy(), e.window().toMillis());
    Metrics.DEAD_MAN_TRIGGERED.withoutTags().increment();
    ctx.pipeToSelf(cancelOpen.apply(e.strategy()), (matched, error) -> new Canceled(e.strategy(), e.window(), matched, error));
    return Behaviors.same();
  }

  private Behavior<Command> onCanceled(Canceled c) {
    if (c.error() != null) {
      ctx.getLog().error("event=dead_man_cancel_failed strategy={} error=\"{}\"", c.strategy(), c.error().toString());
    } else {
      ctx.getLog().info("event=dead_man_canceled strategy={} canceled={}", c.strategy(), c.matched());
    }
    events.publish(new SystemEvents.SystemEvent("dead_man_triggered", c.strategy(), c.error() != null
        ? Map.of("windowMs", c.window().toMillis(), "error", c.error().toString())
        : Map.of("windowMs", c.window().toMillis(), "canceledOrders", c.matched()), clock.instant()));
    return Behaviors.same();
  }
}
