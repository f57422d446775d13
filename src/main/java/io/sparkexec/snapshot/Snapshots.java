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

  /** {@code pruneWhenFull}: a snapshot past the quota deletes the oldest ones (true) or is refused (false). */
  public record Settings(Path dir, Duration retention, Duration sweepEvery, Duration tempGrace, int maxCount, long maxTotalBytes,
      boolean pruneWhenFull) {
    public static Settings fromConfig(com.typesafe.config.Config snapshot) {
      Path dir = Path.of(snapshot.getString("dir"));
      // the Pekko snapshot store's directory holds entity snapshots that retention here would destroy
      if (dir.normalize().endsWith("entities")) throw new IllegalStateException("SNAPSHOT_DIR must not be the entity snapshot store: " + dir);
      String whenFull = snapshot.getString("when-full");
      if (!whenFull.equals("prune-oldest") && !whenFull.equals("refuse")) {
        throw new IllegalArgumentException("spark.snapshot.when-full must be prune-oldest or refuse: " + whenFull);
      }
      if (snapshot.getInt("max-count") < 1 || snapshot.getBytes("max-total-bytes") < 1) {
        throw new IllegalArgumentException("spark.snapshot.max-count and max-total-bytes must be at least 1");
      }
      return new Settings(dir, Duration.ofDays(snapshot.getInt("retention-days")), snapshot.getDuration("sweep-every"),
          snapshot.getDuration("temp-grace"), snapshot.getInt("max-count"), snapshot.getBytes("max-total-bytes"), whenFull.equals("prune-oldest"));
    }
  }

  /** What a create answers: the snapshot written, or the quota it would have passed (nothing written). */
  public sealed interface Created {}

  public record Stored(SnapshotStore.Entry entry) implements Created {}

  /** {@code count} and {@code bytes}: what the directory holds now; {@code sizeBytes}: the snapshot refused. */
  public record QuotaFull(int count, long bytes, long sizeBytes, int maxCount, long maxTotalBytes) implements Created {}

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
        SnapshotStore.Swept aged = store.sweep(clock.instant(), settings.retention(), tempGrace);
        // a quota lowered since the last start prunes at once (refuse mode keeps what is there: it only stops new ones)
        int overQuota;
        synchronized (store) {
          overQuota = settings.pruneWhenFull() ? store.pruneToQuota(settings.maxCount(), settings.maxTotalBytes(), null).size() : 0;
        }
        SnapshotStore.Swept swept = new SnapshotStore.Swept(aged.snapshots() + overQuota, aged.tempFiles());
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

  /**
   * Writes {@code data}, or the executor's state when it is null, as the snapshot {@code name},
   * within the quota (count and total bytes): past it the oldest are pruned after the write, or
   * (refuse mode, or a snapshot larger than the whole quota) nothing is written. Writes are one at
   * a time (the store's monitor, on the blocking executor), so two cannot both take the last room.
   */
  public CompletionStage<Created> create(String name, JsonNode data) {
    Instant at = clock.instant();
    CompletionStage<Object> content = data != null ? CompletableFuture.completedFuture(data) : executorState();
    return content.thenApplyAsync(c -> {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("name", name);
      doc.put("takenAt", at);
      doc.put("kind", data != null ? "data" : "executor");
      doc.put(data != null ? "data" : "state", c);
      try {
        return write(name, at, Json.bytes(doc));
      } catch (IOException e) {
        log.error("event=snapshot_failed name={} error=\"{}\"", name, e.toString());
        throw new UncheckedIOException(e);
      }
    }, blocking).whenComplete((created, error) -> {
      // a refusal is the quota working, not a failed write: it stays out of the snapshot SLO
      if (!(created instanceof QuotaFull)) outcomeListener.accept(error == null);
    });
  }

  private Created write(String name, Instant at, byte[] json) throws IOException {
    synchronized (store) {
      List<SnapshotStore.Entry> existing = store.list();
      long bytes = 0;
      for (SnapshotStore.Entry e : existing) bytes += e.sizeBytes();
      boolean over = existing.size() + 1 > settings.maxCount() || bytes + json.length > settings.maxTotalBytes();
      if (json.length > settings.maxTotalBytes() || (over && !settings.pruneWhenFull())) {
        log.warn("event=snapshot_refused name={} reason=quota count={} bytes={} sizeBytes={} maxCount={} maxTotalBytes={}", name,
            existing.size(), bytes, json.length, settings.maxCount(), settings.maxTotalBytes());
        return new QuotaFull(existing.size(), bytes, json.length, settings.maxCount(), settings.maxTotalBytes());
      }
      SnapshotStore.Entry entry = store.write(name, at, json);
      Metrics.SNAPSHOTS_CREATED.withoutTags().increment();
      Metrics.SNAPSHOT_SIZE.withoutTags().update(entry.sizeBytes());
      log.info("event=snapshot_created name={} file={} sizeBytes={}", name, entry.file(), entry.sizeBytes());
      if (over) {
        List<SnapshotStore.Entry> pruned = store.pruneToQuota(settings.maxCount(), settings.maxTotalBytes(), entry.file());
        Metrics.SNAPSHOTS_RETENTION_DELETED.withTag("kind", "snapshot").increment(pruned.size());
        log.info("event=snapshot_quota_pruned deleted={} kept={}", pruned.size(), settings.maxCount());
      }
      return new Stored(entry);
    }
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
