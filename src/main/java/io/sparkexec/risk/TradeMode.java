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
  public static final String HTTP_VENUE = "http";

  /**
   * The mode, or an IllegalStateException whose message tells the operator what to change.
   * VENUE=http passes here in paper and shadow mode: whether that venue is a simulator is its own
   * word (exchangeInfo), checked by {@link #checkVenue} once it has answered.
   */
  public static TradeMode check(String tradeMode, boolean liveEnabled, String venueKind) {
    TradeMode mode;
    try {
      mode = valueOf(tradeMode.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("TRADE_MODE=" + tradeMode + " is not one of paper, shadow, live");
    }
    if (!SIMULATOR_VENUE.equals(venueKind) && !HTTP_VENUE.equals(venueKind)) {
      throw new IllegalStateException("VENUE=" + venueKind + " is not one of " + SIMULATOR_VENUE + ", " + HTTP_VENUE);
    }
    boolean simulator = SIMULATOR_VENUE.equals(venueKind);
    if (mode == LIVE) {
      if (!liveEnabled) throw new IllegalStateException("TRADE_MODE=live needs LIVE_ENABLED=true; refusing to start");
      if (simulator) {
        throw new IllegalStateException("TRADE_MODE=live needs a real venue (VENUE=http), not the simulator VENUE=" + venueKind);
      }
    }
    return mode;
  }

  /** What the venue says it is must suit the mode: paper and shadow only ever talk to a simulator. */
  public void checkVenue(boolean venueIsSimulator) {
    if (this != LIVE && !venueIsSimulator) {
      throw new IllegalStateException("TRADE_MODE=" + configName() + " refuses a venue that does not declare itself a simulator"
          + " (its exchangeInfo lacks \"simulator\": true): it must never reach a real venue");
    }
    if (this == LIVE && venueIsSimulator) {
      throw new IllegalStateException("TRADE_MODE=live needs a real venue, but the venue declares itself a simulator");
    }
  }

  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
