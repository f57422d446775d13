package io.sparkexec.slo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.AppConfig;
import io.sparkexec.order.Rejection;
import io.sparkexec.venue.MarketData;
import io.sparkexec.venue.SymbolRule;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CanaryTest {

  private static final Map<String, SymbolRule> RULES = SymbolRule.fromConfig(AppConfig.load().getConfig("spark.venue"));
  private static final Canary.Settings SETTINGS = Canary.Settings.fromConfig(AppConfig.load().getConfig("spark.canary"));

  @Test
  void dryFalseIsRefusedUnlessTheVenueIsASimulator() {
    Canary.Plan refused = Canary.plan(false, false, false, "http");
    assertNull(refused.path());
    assertEquals(Rejection.Kind.RULE, refused.refusal().kind());
    assertEquals("DRY_RUN_REQUIRED", refused.refusal().code());
    assertEquals("dry", refused.refusal().field());
    assertEquals(Canary.ORDER_PATH, Canary.plan(false, true, false, "sim-inproc").path());
  }

  @Test
  void dryOrdersReachOnlyASimulatedVenue() {
    assertEquals(Canary.ORDER_PATH, Canary.plan(true, true, false, "sim-inproc").path());
    // a real venue, or shadow mode: shadow orders, never sent
    assertEquals(Canary.SHADOW_PATH, Canary.plan(true, false, false, "http").path());
    assertEquals(Canary.SHADOW_PATH, Canary.plan(true, true, true, "sim-inproc").path());
  }

  @Test
  void theOrderIsAnIocBuyFarUnderTheBidJustOverTheMinimumNotional() {
    SymbolRule rule = RULES.get("BTCUSDT");
    MarketData.Quote quote = new MarketData.Quote("BTCUSDT", new BigDecimal("65000.00"), new BigDecimal("65000.01"), Instant.EPOCH);
    Map<String, Object> body = Canary.orderBody("canary-1", SETTINGS, rule, quote);
    assertEquals("IOC", body.get("timeInForce"));
    assertEquals("LIMIT", body.get("type"));
    assertEquals("BUY", body.get("side"));
    assertEquals("canary", body.get("strategy"));
    assertEquals("RESULT", body.get("respType"));
    BigDecimal price = new BigDecimal((String) body.get("price"));
    BigDecimal qty = new BigDecimal((String) body.get("quantity"));
    assertEquals(0, price.compareTo(new BigDecimal("32500")), "50% under the bid: " + price);
    assertNull(rule.violation(qty, price, null), "passes the symbol's filters");
    BigDecimal notional = qty.multiply(price);
    assertTrue(notional.compareTo(rule.minNotional().multiply(new BigDecimal("1.2"))) < 0, "just over the minimum notional: " + notional);
  }
}
