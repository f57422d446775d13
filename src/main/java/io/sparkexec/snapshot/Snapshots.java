package io.sparkexec.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.Json;
import io.sparkexec.metrics.Metrics;
import io.sparkexec.order.OrderJson;
import io.sparkexec.order.OrderService;
import io.sparkexec.order.Scope;
import io.sparkexec.queue.DurableQueue;
import io.sparkexec.queue.QueueService;
import io.sparkexec.risk.Guardrails;
import io.sparkexec.risk.Risk;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named state snapshots: writes them through {@link SnapshotStore} on the blocking executor, and
 * keeps the directory small (retention at start and on a schedule). Without caller data a
 * snapshot holds the executor's own state, read through the rooms' public APIs.
 */
public final class Snapshots {

  private static final Logger log = LoggerFactory.getLogger(Snapshots.class);

  public record Settings(Path dir, Duration retention, Duration sweepEvery, Duration tempGrace) {
    public static Settings fromConfig(com.typesafe.config.Config snapshot) {
      Path dir = Path.of(snapshot.getString("dir"));
      // the Pekko snapshot store's directory holds entity snapshots that retention here would destroy
      if (dir.normalize().endsWith("entities")) throw new IllegalStateException("SNAPSHOT_DIR must not be the entity snapshot store: " + dir);
      return new Settings(dir, Duration.ofDays(snapshot.getInt("retention-days")), snapshot.getDuration("sweep-every"),
          snapshot.getDuration("temp-grace"));
    }
  }

  /** The rooms an executor-state snapshot reads. */
  public record Sources(OrderService orders, Risk risk, QueueService queue) {}

  private final ActorSystem<?> system;
  private final Settings settings;
  private final SnapshotStore store;
  private final Executor blocking;
  private final Sources sources;
  private final Clock clock;

  public Snapshots(ActorSystem<?> system, Settings settings, Executor blocking, Sources sources, Clock clock) {
    this.system = system;
    this.settings = settings;
    this.store = new SnapshotStore(settings.dir());
    this.blocking = blocking;
    this.sources = sources;
    this.clock = clock;
  }

  /** A sweep now (every temp file is a crash's: no write has started yet), then one every sweep-every. */
  public Cancellable startRetention() {
    sweep(Duration.ZERO);
    return system.scheduler().scheduleWithFixedDelay(settings.sweepEvery(), settings.sweepEvery(), () -> sweep(settings.tempGrace()),
        system.executionContext());
  }

  CompletionStage<SnapshotStore.Swept> sweep(Duration tempGrace) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        SnapshotStore.Swept swept = store.sweep(clock.instant(), settings.retention(), tempGrace);
        if (swept.snapshots() > 0) Metrics.SNAPSHOTS_RETENTION_DELETED.withTag("kind", "snapshot").increment(swept.snapshots());
        if (swept.tempFiles() > 0) Metrics.SNAPSHOTS_RETENTION_DELETED.withTag("kind", "temp").increment(swept.tempFiles());
        log.info("event=snapshot_retention dir={} retentionDays={} deletedSnapshots={} deletedTempFiles={}", settings.dir(),
            settings.retention().toDays(), swept.snapshots(), swept.tempFiles());
        return swept;
      } catch (IOException e) {
        log.error("event=snapshot_retention_failed dir={} error=\"{}\"", settings.dir(), e.toString());
        throw new UncheckedIOException(e);
      }
    }, blocking);
  }

  private volatile Consumer<Boolean> outcomeListener = ok -> {};

  /** Writes {@code data}, or the executor's state when it is null, as the snapshot {@code name}. */
  public CompletionStage<SnapshotStore.Entry> create(String name, JsonNode data) {
    Instant at = clock.instant();
    CompletionStage<Object> content = data != null ? CompletableFuture.completedFuture(data) : executorState();
    return content.thenApplyAsync(c -> {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("name", name);
      doc.put("takenAt", at);
      doc.put("kind", data != null ? "data" : "executor");
      doc.put(data != null ? "data" : "state", c);
      try {
        SnapshotStore.Entry entry = store.write(name, at, Json.bytes(doc));
        Metrics.SNAPSHOTS_CREATED.withoutTags().increment();
        Metrics.SNAPSHOT_SIZE.withoutTags().update(entry.sizeBytes());
        log.info("event=snapshot_created name={} file={} sizeBytes={}", name, entry.file(), entry.sizeBytes());
        return entry;
      } catch (IOException e) {
        log.error("event=snapshot_failed name={} error=\"{}\"", name, e.toString());
        throw new UncheckedIOException(e);
      }
    }, blocking).whenComplete((entry, error) -> outcomeListener.accept(error == null));
  }

  /** Who hears whether each snapshot write succeeded: the snapshot-success SLO. */
  public void onOutcome(Consumer<Boolean> listener) {
    this.outcomeListener = listener;
  }

  public CompletionStage<List<SnapshotStore.Entry>> list() {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return store.list();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, blocking);
  }

  /** Open orders, positions, trading state and queue stats, each as its room answers it now. */
  private CompletionStage<Object> executorState() {
    Guardrails.State g = sources.risk().guardrails();
    Map<String, Object> trading = new LinkedHashMap<>();
    if (g != null) {
      trading.put("state", g.tradingState().name());
      trading.put("reason", g.reason());
      trading.put("by", g.by());
      trading.put("since", g.since());
    }
    CompletionStage<List<OrderJson>> open = sources.orders().openOrders(null, null, Scope.ALL)
        .thenApply(orders -> orders.stream().map(OrderJson::of).toList());
    CompletionStage<Object> queue = sources.queue().stats()
        .thenApply(r -> r instanceof QueueService.Answered a && a.reply() instanceof DurableQueue.Stats s ? (Object) s : "unavailable: " + r);
    return open.thenCombine(queue, (orders, stats) -> {
      Map<String, Object> state = new LinkedHashMap<>();
      state.put("openOrders", orders);
      state.put("positions", sources.risk().positions());
      state.put("tradingState", trading);
      state.put("queue", stats);
      return state;
    });
  }
}
