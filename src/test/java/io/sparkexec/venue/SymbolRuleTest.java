package io.sparkexec.venue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.typesafe.config.ConfigFactory;
import java.math.BigDecimal;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SymbolRuleTest {

  static final SymbolRule BTC = new SymbolRule("BTCUSDT", "BTC", "USDT", new BigDecimal("0.01"), new BigDecimal("0.00001"),
      new BigDecimal("0.00001"), new BigDecimal("9000"), new BigDecimal("5"), new BigDecimal("65000.00"), 2, 1, new BigDecimal("2.5"));

  private static BigDecimal dec(String s) {
    return s == null || s.isEmpty() ? null : new BigDecimal(s);
  }

  @ParameterizedTest(name = "qty={0} price={1} ref={2} -> {3}")
  @CsvSource({
      // quantity,     price,         reference, field or empty, code or empty
      "0.000009,       65000.00,      ,          quantity, MIN_QTY",
      "9000.00001,     65000.00,      ,          quantity, MAX_QTY",
      "0.000015,       65000.00,      ,          quantity, STEP_SIZE",
      "1.000001,       65000.00,      ,          quantity, STEP_SIZE",
      "1,              65000.001,     ,          price,    TICK_SIZE",
      "1,              0.005,         ,          price,    TICK_SIZE",
      // 0.00007 x 65000 = 4.55 < 5
      "0.00007,        65000.00,      ,          quantity, MIN_NOTIONAL",
      // MARKET: the touch stands in for the price; 0.00001 x 65000.01 = 0.6500001
      "0.00001,        ,              65000.01,  quantity, MIN_NOTIONAL",
      // exact edges pass
      "0.00001,        500000.00,     ,          ,         ",
      "9000,           1.00,          ,          ,         ",
      // 0.0001 x 50000 = 5.000000 is not below 5
      "0.0001,         50000,         ,          ,         ",
      "1.00001,        65000.10,      ,          ,         ",
      // trailing zeros do not matter: values, not scales, are compared
      "1.000010000,    65000.1000,    ,          ,         ",
      // MARKET without a quote: the notional cannot be checked, the rest is
      "0.00001,        ,              ,          ,         ",
  })
  void filters(String quantity, String price, String reference, String field, String code) {
    SymbolRule.Violation v = BTC.violation(dec(quantity), dec(price), dec(reference));
    if (code == null) {
      assertNull(v, () -> "unexpected " + v);
    } else {
      assertEquals(field, v.field());
      assertEquals(code, v.code());
    }
  }

  @Test
  void stepIsCountedFromMinQty() {
    SymbolRule rule = new SymbolRule("X", "X", "USDT", new BigDecimal("0.01"), new BigDecimal("0.001"), new BigDecimal("0.0015"),
        new BigDecimal("10"), BigDecimal.ZERO, BigDecimal.ONE, 0, 1, BigDecimal.ONE);
    assertNull(rule.violation(new BigDecimal("0.0025"), BigDecimal.ONE, null));
    assertEquals("STEP_SIZE", rule.violation(new BigDecimal("0.003"), BigDecimal.ONE, null).code());
  }

  @Test
  void firstBrokenFilterWinsAndMessagesUsePlainDecimals() {
    // below minQty and off-tick: minQty is named
    assertEquals("MIN_QTY", BTC.violation(new BigDecimal("0.000001"), new BigDecimal("1.001"), null).code());
    assertEquals("quantity 1E-7 is below minQty 0.00001".replace("1E-7", "0.0000001"),
        BTC.violation(new BigDecimal("1E-7"), null, null).message());
    assertEquals("notional 4.55 is below minNotional 5", BTC.violation(new BigDecimal("0.00007"), new BigDecimal("65000.00"), null).message());
  }

  @Test
  void readsSymbolsFromConfig() {
    Map<String, SymbolRule> rules = SymbolRule.fromConfig(ConfigFactory.parseString("""
        symbols = [
          { symbol = "ETHUSDT", base = "ETH", quote = "USDT", tick-size = "0.01", step-size = "0.0001",
            min-qty = "0.0001", max-qty = "9000", min-notional = "5", initial-price = "3200.00",
            volatility-bps = 3, spread-ticks = 2, touch-qty = "40" }
        ]
        """));
    assertEquals(Map.of("ETHUSDT", new SymbolRule("ETHUSDT", "ETH", "USDT", new BigDecimal("0.01"), new BigDecimal("0.0001"),
        new BigDecimal("0.0001"), new BigDecimal("9000"), new BigDecimal("5"), new BigDecimal("3200.00"), 3, 2, new BigDecimal("40"))), rules);
  }
}
