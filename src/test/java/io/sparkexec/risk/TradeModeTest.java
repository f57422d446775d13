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

  @ParameterizedTest(name = "TRADE_MODE={0} LIVE_ENABLED={1} VENUE={2}")
  @CsvSource({
      "live, false, sim-inproc, needs LIVE_ENABLED=true",
      "live, false, http, needs LIVE_ENABLED=true",
      "live, true, sim-inproc, not the simulator",
      "live, true, http, is not built yet",
      "paper, false, http, must never reach a real venue",
      "shadow, false, http, must never reach a real venue",
      "backtest, false, sim-inproc, is not one of paper, shadow, live"})
  void everyMismatchRefusesWithAMessageNamingTheFix(String mode, boolean liveEnabled, String venue, String says) {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> TradeMode.check(mode, liveEnabled, venue));
    assertTrue(e.getMessage().contains(says), e.getMessage());
  }
}
