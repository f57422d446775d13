package io.sparkexec.risk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TradeModeTest {

  @Test
  void paperAndShadowRunOnTheSimulator() {
    assertEquals(TradeMode.PAPER, TradeMode.check("paper", false, "sim-inproc"));
    assertEquals(TradeMode.SHADOW, TradeMode.check("SHADOW", true, "sim-inproc"));
  }

  @Test
  void anHttpVenueIsJudgedByWhatItSaysItIs() {
    TradeMode paper = TradeMode.check("paper", false, "http");
    paper.checkVenue(true);
    IllegalStateException notSim = assertThrows(IllegalStateException.class, () -> paper.checkVenue(false));
    assertTrue(notSim.getMessage().contains("does not declare itself a simulator"), notSim.getMessage());
    assertThrows(IllegalStateException.class, () -> TradeMode.check("shadow", false, "http").checkVenue(false));

    TradeMode live = TradeMode.check("live", true, "http");
    live.checkVenue(false);
    IllegalStateException sim = assertThrows(IllegalStateException.class, () -> live.checkVenue(true));
    assertTrue(sim.getMessage().contains("declares itself a simulator"), sim.getMessage());
  }

  @ParameterizedTest(name = "TRADE_MODE={0} LIVE_ENABLED={1} VENUE={2}")
  @CsvSource({
      "live, false, sim-inproc, needs LIVE_ENABLED=true",
      "live, false, http, needs LIVE_ENABLED=true",
      "live, true, sim-inproc, not the simulator",
      "paper, false, binance, is not one of sim-inproc, http",
      "backtest, false, sim-inproc, is not one of paper, shadow, live"})
  void everyMismatchRefusesWithAMessageNamingTheFix(String mode, boolean liveEnabled, String venue, String says) {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> TradeMode.check(mode, liveEnabled, venue));
    assertTrue(e.getMessage().contains(says), e.getMessage());
  }
}
