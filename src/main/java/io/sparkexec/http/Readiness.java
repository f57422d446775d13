package io.sparkexec.http;

import io.sparkexec.metrics.Metrics;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up gates. Ready only when every gate has passed; a gate may fail later (the journal),
 * which takes the executor out of ready and stops new orders (fail closed).
 */
public final class Readiness {

  private static final Logger log = LoggerFactory.getLogger(Readiness.class);

  public enum Status {
    PENDING,
    PASSED,
    FAILED
  }

  public record Gate(Status status, String detail) {}

  private final Map<String, Gate> gates = new LinkedHashMap<>();
  private final long startedNanos = System.nanoTime();
  private volatile boolean ready;
  private volatile String stopping;
  // the one gate the executor's own warm-up traffic may pass while it is pending (null: none)
  private String warmUpGate;
  private volatile boolean readyForWarmUp;
  private final CompletableFuture<Void> warmUpAllowed = new CompletableFuture<>();

  public Readiness(String... gateNames) {
    for (String g : gateNames) gates.put(g, new Gate(Status.PENDING, null));
    Metrics.READY.withoutTags().update(0);
  }

  public boolean isReady() {
    return ready && stopping == null;
  }

  /**
   * {@code gate} passes only once the executor's own warm-up traffic has gone through it: that
   * traffic (and only it) may place orders while every other gate has passed and this one is
   * still pending, see {@link #isReadyForWarmUp}.
   */
  public synchronized void warmUpGate(String gate) {
    if (!gates.containsKey(gate)) throw new IllegalArgumentException("unknown gate " + gate);
    warmUpGate = gate;
    update();
  }

  /** Every gate but the warm-up gate has passed (or all have): the warm-up's own orders may go through. */
  public boolean isReadyForWarmUp() {
    return (ready || readyForWarmUp) && stopping == null;
  }

  /** Completes the first time every gate but the warm-up gate has passed. */
  public CompletionStage<Void> warmUpAllowed() {
    return warmUpAllowed;
  }

  /** Shutdown has begun: not ready from now on, whatever the gates say, so balancers drain us first. */
  public void stopping(String reason) {
    stopping = reason;
    Metrics.READY.withoutTags().update(0);
    log.info("event=readiness ready=false reason=\"{}\"", reason);
  }

  public synchronized void pass(String gate, String detail) {
    set(gate, new Gate(Status.PASSED, detail));
  }

  /** Still pending, with what it is doing now (the warm-up's progress). */
  public synchronized void pending(String gate, String detail) {
    set(gate, new Gate(Status.PENDING, detail));
  }

  public synchronized void fail(String gate, String detail) {
    set(gate, new Gate(Status.FAILED, detail));
  }

  public synchronized Map<String, Gate> gates() {
    Map<String, Gate> copy = new LinkedHashMap<>(gates);
    if (stopping != null) copy.put("shutdown", new Gate(Status.FAILED, stopping));
    return copy;
  }

  private void set(String gate, Gate value) {
    if (!gates.containsKey(gate)) throw new IllegalArgumentException("unknown gate " + gate);
    Gate before = gates.put(gate, value);
    if (before == null || before.status() != value.status()) {
      log.info("event=readiness_gate gate={} status={} detail=\"{}\"", gate, value.status(), value.detail());
    }
    update();
  }

  private void update() {
    boolean all = gates.values().stream().allMatch(g -> g.status() == Status.PASSED);
    readyForWarmUp = warmUpGate != null
        && gates.entrySet().stream().allMatch(e -> e.getKey().equals(warmUpGate) || e.getValue().status() == Status.PASSED);
    if (readyForWarmUp || all) warmUpAllowed.complete(null);
    if (all != ready) {
      ready = all;
      Metrics.READY.withoutTags().update(isReady() ? 1 : 0);
      log.info("event=readiness ready={} sinceStartMs={}", all, (System.nanoTime() - startedNanos) / 1_000_000);
    }
  }
}
