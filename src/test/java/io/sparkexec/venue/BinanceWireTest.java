package io.sparkexec.venue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The examples of docs/venue-sim.md, read into Venue's records; query strings as they are signed. */
class BinanceWireTest {

  @Test
  void anOrderAnswerCarriesEveryFill() {
    Venue.VenueOrderReport r = BinanceWire.order(BinanceWire.parse("""
        {"symbol":"BTCUSDT","orderId":12,"clientOrderId":"c-1","transactTime":1700000000000,
         "price":"65000.00","origQty":"0.01000","executedQty":"0.01000","cummulativeQuoteQty":"650.00",
         "status":"FILLED","timeInForce":"GTC","type":"LIMIT","side":"BUY",
         "fills":[{"price":"65000.00","qty":"0.01000","commission":"0.65","commissionAsset":"USDT","tradeId":7}]}"""));
    assertEquals("c-1", r.clientOrderId());
    assertEquals("12", r.venueOrderId());
    assertEquals(Venue.VenueStatus.FILLED, r.status());
    assertEquals(1, r.fills().size());
    Venue.Fill f = r.fills().get(0);
    assertEquals("7", f.tradeId());
    assertEquals(0, new BigDecimal("65000.00").compareTo(f.price()));
    assertEquals(0, new BigDecimal("0.01").compareTo(f.quantity()));
    assertEquals("USDT", f.feeAsset());
    assertNull(r.reason());
  }

  @Test
  void anExecutionReportCarriesOnlyItsOwnTrade() {
    Venue.VenueOrderReport trade = BinanceWire.executionReport(BinanceWire.parse("""
        {"e":"executionReport","E":1700000000000,"s":"BTCUSDT","c":"c-1","S":"BUY","o":"LIMIT","f":"GTC",
         "q":"0.01000","p":"65000.00","x":"TRADE","X":"PARTIALLY_FILLED","i":12,"l":"0.00500",
         "L":"65000.00","n":"0.325","N":"USDT","T":1700000000000,"t":8,"z":"0.00500"}"""));
    assertEquals("c-1", trade.clientOrderId());
    assertEquals(Venue.VenueStatus.PARTIALLY_FILLED, trade.status());
    assertEquals(List.of("8"), trade.fills().stream().map(Venue.Fill::tradeId).toList());
    assertEquals(0, new BigDecimal("0.005").compareTo(trade.fills().get(0).quantity()));

    Venue.VenueOrderReport canceled = BinanceWire.executionReport(BinanceWire.parse("""
        {"e":"executionReport","E":1,"s":"BTCUSDT","c":"cancel-req-9","C":"c-1","x":"CANCELED","X":"CANCELED","i":12,"t":-1,"T":1}"""));
    assertEquals("c-1", canceled.clientOrderId(), "Binance names the original id C on cancels");
    assertTrue(canceled.fills().isEmpty());
  }

  @Test
  void errorsAreToldApartFromOrders() {
    assertEquals(-1013, BinanceWire.error(BinanceWire.parse("{\"code\":-1013,\"msg\":\"Filter failure: LOT_SIZE\"}")).code());
    assertNull(BinanceWire.error(BinanceWire.parse("{\"clientOrderId\":\"c-1\",\"status\":\"NEW\"}")));
  }

  @Test
  void theQueryStringIsEncodedInTheGivenOrder() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("symbol", "BTCUSDT");
    p.put("batchOrders", "[{\"a\":\"1 2\"}]");
    assertEquals("symbol=BTCUSDT&batchOrders=%5B%7B%22a%22%3A%221+2%22%7D%5D", BinanceWire.query(p));
  }
  @Test
  void exchangeInfoFiltersAreReadByTypeAndAbsentOnesStayNull() {
    SymbolRule.Filters f = BinanceWire.filters(BinanceWire.parse("""
        {"symbol":"BTCUSDT","filters":[
          {"filterType":"PRICE_FILTER","minPrice":"0.01000000","maxPrice":"1000000.00000000","tickSize":"0.01000000"},
          {"filterType":"LOT_SIZE","minQty":"0.00001000","maxQty":"9000.00000000","stepSize":"0.00001000"},
          {"filterType":"ICEBERG_PARTS","limit":10},
          {"filterType":"NOTIONAL","minNotional":"5.00000000","applyMinToMarket":true,"maxNotional":"9000000.00000000"}]}"""));
    assertEquals(0, new BigDecimal("0.01").compareTo(f.tickSize()));
    assertEquals(0, new BigDecimal("0.00001").compareTo(f.stepSize()));
    assertEquals(0, new BigDecimal("0.00001").compareTo(f.minQty()));
    assertEquals(0, new BigDecimal("9000").compareTo(f.maxQty()));
    assertEquals(0, new BigDecimal("5").compareTo(f.minNotional()));

    // the older MIN_NOTIONAL filter; no PRICE_FILTER, no LOT_SIZE
    SymbolRule.Filters old = BinanceWire.filters(BinanceWire.parse("""
        {"symbol":"ETHUSDT","filters":[{"filterType":"MIN_NOTIONAL","minNotional":"10.00000000","applyToMarket":true}]}"""));
    assertEquals(new SymbolRule.Filters(null, null, null, null, new BigDecimal("10.00000000")), old);
  }
}
