package io.sparkexec.venue;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkexec.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ClockOffsetTest {

  @Test
  void theVenueTimeIsOursPlusTheOffsetMeasuredAtTheMiddleOfTheRoundTrip() {
    ManualClock clock = new ManualClock(Instant.ofEpochMilli(1_000_000));
    ClockOffset offset = new ClockOffset(clock);
    assertEquals(1_000_000, offset.venueMillis(), "no measurement yet: our own clock");
    assertEquals(-1, offset.roundTripMillis());

    long sent = offset.localMillis();
    clock.advance(Duration.ofMillis(40));
    // the venue stamped 1_002_520 halfway (at our 1_000_020): it runs 2.5 s ahead
    offset.update(sent, 1_002_520, offset.localMillis());
    assertEquals(2_500, offset.offsetMillis());
    assertEquals(40, offset.roundTripMillis());
    assertEquals(1_002_540, offset.venueMillis());

    clock.advance(Duration.ofSeconds(10));
    assertEquals(1_012_540, offset.venueMillis(), "the offset holds as our clock moves");

    // a venue behind us
    offset.update(clock.millis(), clock.millis() - 700, clock.millis());
    assertEquals(-700, offset.offsetMillis());
  }
}
