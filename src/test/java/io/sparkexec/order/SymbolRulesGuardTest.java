package io.sparkexec.order;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.sparkexec.venue.FakeVenue;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.SymbolRule;
import io.sparkexec.venue.TimeInForce;
import java.math.BigDecimal;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SymbolRulesGuardTest {

  static final SymbolRule BTC = new SymbolRule("BTCUSDT", "BTC", "USDT", new BigDecimal("0.01"), new BigDecimal("0.00001"),
      new BigDecimal("0.00001"), new BigDecimal("9000"), new BigDecimal("5"), new BigDecimal("65000.00"), 2, 1, new BigDecimal("2.5"));

  final FakeVenue marketData = new FakeVenue().withQuote("BTCUSDT", "40000.00", "60000.00");
  final SymbolRulesGuard guard = new SymbolRulesGuard(Map.of("BTCUSDT", BTC), marketData);

  static OrderRequest request(String symbol, Side side, OrderType type, String qty, String price) {
    return new OrderRequest("c1", symbol, side, type, type == OrderType.MARKET ? TimeInForce.IOC : TimeInForce.GTC, new BigDecimal(qty),
        price == null ? null : new BigDecimal(price), null, OrderRequest.RespType.ACKNOWLEDGED);
  }

  @Test
  void unknownSymbolIsARuleRejectionListingTheSymbols() {
    Rejection r = guard.check(request("DOGEUSDT", Side.BUY, OrderType.LIMIT, "1", "1"));
    assertEquals(Rejection.Kind.RULE, r.kind());
    assertEquals("UNKNOWN_SYMBOL", r.code());
    assertEquals("symbol", r.field());
    assertEquals(Set.of("BTCUSDT"), r.details().get("symbols"));
  }

  @Test
  void filterViolationsNameFieldAndCode() {
    Rejection r = guard.check(request("BTCUSDT", Side.BUY, OrderType.LIMIT, "1", "65000.005"));
    assertEquals(Rejection.Kind.RULE, r.kind());
    assertEquals("price", r.field());
    assertEquals("TICK_SIZE", r.code());
    assertEquals(422, r.kind().httpStatus);
  }

  @Test
  void marketOrderNotionalUsesTheTouchOfItsSide() {
    // 0.0001 x ask 60000 = 6 passes; 0.0001 x bid 40000 = 4 is below 5
    assertNull(guard.check(request("BTCUSDT", Side.BUY, OrderType.MARKET, "0.0001", null)));
    assertEquals("MIN_NOTIONAL", guard.check(request("BTCUSDT", Side.SELL, OrderType.MARKET, "0.0001", null)).code());
  }

  @Test
  void limitOrderNotionalUsesItsOwnPrice() {
    assertNull(guard.check(request("BTCUSDT", Side.SELL, OrderType.LIMIT, "0.0001", "50000.00")));
    assertEquals("MIN_NOTIONAL", guard.check(request("BTCUSDT", Side.BUY, OrderType.LIMIT, "0.0001", "49999.99")).code());
  }

  @Test
  void marketOrderWithoutAQuoteIsCheckedWithoutNotional() {
    SymbolRulesGuard noQuotes = new SymbolRulesGuard(Map.of("BTCUSDT", BTC), new FakeVenue());
    assertNull(noQuotes.check(request("BTCUSDT", Side.SELL, OrderType.MARKET, "0.00001", null)));
    assertEquals("MIN_QTY", noQuotes.check(request("BTCUSDT", Side.SELL, OrderType.MARKET, "0.000001", null)).code());
  }
}
