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
    Map<String, Object> body = Canary.orderBody("canary-1", Canary.Shape.EXPIRING, SETTINGS, rule, quote);
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

  @Test
  void theWarmUpsMarketablePairsBuyAndSellTheSameSizeAndPassTheFilters() {
    SymbolRule rule = RULES.get("BTCUSDT");
    MarketData.Quote quote = new MarketData.Quote("BTCUSDT", new BigDecimal("65000.00"), new BigDecimal("65000.01"), Instant.EPOCH);
    Map<String, Object> buy = Canary.orderBody("canary-2", Canary.Shape.MARKET_BUY, SETTINGS, rule, quote);
    Map<String, Object> sell = Canary.orderBody("canary-3", Canary.Shape.MARKET_SELL, SETTINGS, rule, quote);
    assertEquals("MARKET", buy.get("type"));
    assertEquals("BUY", buy.get("side"));
    assertEquals("SELL", sell.get("side"));
    assertEquals(buy.get("quantity"), sell.get("quantity"), "a pair leaves the canary's position flat");
    assertNull(buy.get("price"));
    BigDecimal qty = new BigDecimal((String) buy.get("quantity"));
    assertNull(rule.violation(qty, null, quote.ask()), "passes the filters at the touch");
    int buys = 0;
    int sells = 0;
    for (int n = 0; n < 400; n++) {
      Canary.Shape shape = WarmUp.shape(n);
      if (shape == Canary.Shape.MARKET_BUY) buys++;
      if (shape == Canary.Shape.MARKET_SELL) sells++;
    }
    assertEquals(100, buys);
    assertEquals(100, sells);
  }
}
