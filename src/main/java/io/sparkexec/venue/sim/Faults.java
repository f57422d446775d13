package io.sparkexec.venue.sim;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Injected faults, for tests of a client's unknown outcomes (POST /sim/faults).
 *
 * @param latencyMs delay before every order, cancel and query answer
 * @param dropAfterAcceptPct share of place calls whose orders are created durably, then the
 *     connection is aborted without an answer ("accepted, response lost")
 * @param failBeforeAcceptPct share of place calls answered 503 without creating anything
 *     ("never got it")
 */
record Faults(int latencyMs, int dropAfterAcceptPct, int failBeforeAcceptPct) {

  static final Faults NONE = new Faults(0, 0, 0);
  static final int MAX_LATENCY_MS = 600_000;

  boolean dropAfterAccept() {
    return hit(dropAfterAcceptPct);
  }

  boolean failBeforeAccept() {
    return hit(failBeforeAcceptPct);
  }

  private static boolean hit(int pct) {
    return pct > 0 && ThreadLocalRandom.current().nextInt(100) < pct;
  }
}
