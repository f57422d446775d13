package io.sparkexec.risk;

import java.util.Locale;

/**
 * paper (default): the simulator only. shadow: orders are simulated and never sent. live: a real
 * venue, only with LIVE_ENABLED=true. A mode that does not match the venue refuses to start.
 */
public enum TradeMode {
  PAPER,
  SHADOW,
  LIVE;

  public static final String SIMULATOR_VENUE = "sim-inproc";

  /** The mode, or an IllegalStateException whose message tells the operator what to change. */
  public static TradeMode check(String tradeMode, boolean liveEnabled, String venueKind) {
    TradeMode mode;
    try {
      mode = valueOf(tradeMode.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("TRADE_MODE=" + tradeMode + " is not one of paper, shadow, live");
    }
    boolean simulator = SIMULATOR_VENUE.equals(venueKind);
    switch (mode) {
      case PAPER, SHADOW -> {
        if (!simulator) {
          throw new IllegalStateException("TRADE_MODE=" + tradeMode + " refuses VENUE=" + venueKind + ": it must never reach a real venue; use VENUE="
              + SIMULATOR_VENUE);
        }
      }
      case LIVE -> {
        if (!liveEnabled) throw new IllegalStateException("TRADE_MODE=live needs LIVE_ENABLED=true; refusing to start");
        if (simulator) {
          throw new IllegalStateException("TRADE_MODE=live needs a real venue (VENUE=http), not the simulator VENUE=" + venueKind);
        }
        throw new IllegalStateException("TRADE_MODE=live: the HTTP venue (VENUE=" + venueKind + ") is not built yet; live trading cannot start");
      }
    }
    return mode;
  }

  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
