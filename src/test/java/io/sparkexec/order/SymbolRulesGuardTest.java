package io.sparkexec.order;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.sparkexec.venue.FakeVenue;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.SymbolRule;
import io.sparkexec.venue.TimeInForce;
import java.math.BigDecimal;
import java.util.List;
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
  // ---- the venue's filters (exchangeInfo) over the configured ones ----

  private static SymbolRule.Filters filters(String tick, String step, String minQty, String maxQty, String minNotional) {
    return new SymbolRule.Filters(dec(tick), dec(step), dec(minQty), dec(maxQty), dec(minNotional));
  }

  private static BigDecimal dec(String s) {
    return s == null ? null : new BigDecimal(s);
  }

  @Test
  void theVenuesFiltersReplaceTheConfiguredOnesFieldByField() {
    // configured tick 0.01: 65000.05 passes; the venue's tick 0.10 refuses it
    assertNull(guard.check(request("BTCUSDT", Side.BUY, OrderType.LIMIT, "1", "65000.05")));
    SymbolRulesGuard.Adopted adopted = guard.adopt(Map.of("BTCUSDT", filters("0.10", "0.001", "0.001", "100", "10")));
    assertEquals(Map.of("BTCUSDT", List.of("tickSize 0.01->0.10", "stepSize 0.00001->0.001", "minQty 0.00001->0.001",
        "maxQty 9000->100", "minNotional 5->10")), adopted.changed());
    assertEquals("TICK_SIZE", guard.check(request("BTCUSDT", Side.BUY, OrderType.LIMIT, "1", "65000.05")).code());
    assertEquals("STEP_SIZE", guard.check(request("BTCUSDT", Side.BUY, OrderType.LIMIT, "1.0005", "65000.10")).code());
    assertEquals("MIN_QTY", guard.check(request("BTCUSDT", Side.BUY, OrderType.LIMIT, "0.0001", "65000.10")).code());
    assertEquals("MAX_QTY", guard.check(request("BTCUSDT", Side.BUY, OrderType.LIMIT, "101", "65000.10")).code());
    // 0.001 x 9000 = 9 < the venue's 10 (the configured 5 passed it)
    assertEquals("MIN_NOTIONAL", guard.check(request("BTCUSDT", Side.BUY, OrderType.LIMIT, "0.001", "9000.00")).code());
    assertNull(guard.check(request("BTCUSDT", Side.BUY, OrderType.LIMIT, "1.001", "65000.10")));
  }

  @Test
  void aFilterTheVenueDoesNotStateKeepsOurs() {
    // no PRICE_FILTER (null) and Binance's "no limit" zero for tick and maxQty: ours stay
    SymbolRulesGuard.Adopted adopted = guard.adopt(Map.of("BTCUSDT", filters("0", null, null, "0", null)));
    assertEquals(Map.of(), adopted.changed());
    assertEquals(BTC.filters(), guard.rules().get("BTCUSDT").filters());
    assertNull(guard.check(request("BTCUSDT", Side.BUY, OrderType.LIMIT, "1", "65000.01")));
  }

  @Test
  void aConfiguredSymbolTheVenueDoesNotListIsRefusedHere() {
    SymbolRulesGuard.Adopted adopted = guard.adopt(Map.of("ETHUSDT", filters("0.01", "0.0001", "0.0001", "9000", "5")));
    assertEquals(List.of("BTCUSDT"), adopted.notListed());
    Rejection r = guard.check(request("BTCUSDT", Side.BUY, OrderType.LIMIT, "1", "65000.00"));
    assertEquals("UNKNOWN_SYMBOL", r.code());
    assertEquals("symbol BTCUSDT is not listed by the venue", r.message());
    assertEquals(Set.of(), r.details().get("symbols"));
  }

  @Test
  void aVenueThatStatesNoSymbolsChangesNothing() {
    assertEquals(new SymbolRulesGuard.Adopted(Map.of(), List.of()), guard.adopt(Map.of()));
    assertNull(guard.check(request("BTCUSDT", Side.BUY, OrderType.LIMIT, "1", "65000.01")));
  }
}
