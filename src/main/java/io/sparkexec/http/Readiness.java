package io.sparkexec.http;

import io.sparkexec.metrics.Metrics;
import java.util.LinkedHashMap;
import java.util.Map;
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

  public Readiness(String... gateNames) {
    for (String g : gateNames) gates.put(g, new Gate(Status.PENDING, null));
    Metrics.READY.withoutTags().update(0);
  }

  public boolean isReady() {
    return ready && stopping == null;
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
    boolean all = gates.values().stream().allMatch(g -> g.status() == Status.PASSED);
    if (before == null || before.status() != value.status()) {
      log.info("event=readiness_gate gate={} status={} detail=\"{}\"", gate, value.status(), value.detail());
    }
    if (all != ready) {
      ready = all;
      Metrics.READY.withoutTags().update(isReady() ? 1 : 0);
      log.info("event=readiness ready={} sinceStartMs={}", all, (System.nanoTime() - startedNanos) / 1_000_000);
    }
  }
}
