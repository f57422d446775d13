package io.sparkexec.venue;

import java.time.Clock;

/**
 * The venue's clock as seen from here: the offset measured from a server-time call, assuming the
 * answer was stamped halfway through the round trip. Signed requests carry {@link #venueMillis},
 * so a local clock that drifts does not get them refused as outside the recvWindow.
 */
public final class ClockOffset {

  private final Clock clock;
  private volatile long offsetMillis;
  private volatile long roundTripMillis = -1;

  public ClockOffset(Clock clock) {
    this.clock = clock;
  }

  /** Local time now, for stamping a server-time request before it is sent. */
  public long localMillis() {
    return clock.millis();
  }

  /** One measurement: the request left at {@code sentAt}, its answer ({@code serverTime}) came at {@code receivedAt}. */
  public void update(long sentAt, long serverTime, long receivedAt) {
    long roundTrip = Math.max(0, receivedAt - sentAt);
    offsetMillis = serverTime - (sentAt + roundTrip / 2);
    roundTripMillis = roundTrip;
  }

  /** The venue's time now, in epoch milliseconds. */
  public long venueMillis() {
    return clock.millis() + offsetMillis;
  }

  public long offsetMillis() {
    return offsetMillis;
  }

  /** The last measurement's round trip, or -1 before the first. */
  public long roundTripMillis() {
    return roundTripMillis;
  }
}
