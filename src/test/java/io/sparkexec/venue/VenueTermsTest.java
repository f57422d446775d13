package io.sparkexec.venue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class VenueTermsTest {

  static final OrderSpec LIMIT = new OrderSpec("BTCUSDT", Side.BUY, OrderType.LIMIT, TimeInForce.GTC, new BigDecimal("0.001"), new BigDecimal("100"), "s");
  static final OrderSpec MARKET = new OrderSpec("BTCUSDT", Side.SELL, OrderType.MARKET, TimeInForce.GTC, new BigDecimal("0.5"), null, "s");

  static String field(Venue.VenueTerms venue, OrderSpec ours) {
    Venue.VenueTerms.Mismatch m = venue.mismatch(ours);
    return m == null ? null : m.field();
  }

  @Test
  void theSameOrderMatchesWhateverTheScaleOfItsNumbers() {
    assertNull(new Venue.VenueTerms("BTCUSDT", "BUY", "LIMIT", new BigDecimal("0.00100000"), new BigDecimal("100.00000000")).mismatch(LIMIT));
    // Binance answers a MARKET order's price as 0, which the wire reads as none
    assertNull(new Venue.VenueTerms("BTCUSDT", "SELL", "MARKET", new BigDecimal("0.50"), null).mismatch(MARKET));
  }

  @Test
  void eachFieldThatDiffersIsNamed() {
    assertEquals("symbol", field(new Venue.VenueTerms("ETHUSDT", "BUY", "LIMIT", new BigDecimal("0.001"), new BigDecimal("100")), LIMIT));
    assertEquals("side", field(new Venue.VenueTerms("BTCUSDT", "SELL", "LIMIT", new BigDecimal("0.001"), new BigDecimal("100")), LIMIT));
    assertEquals("type", field(new Venue.VenueTerms("BTCUSDT", "BUY", "LIMIT_MAKER", new BigDecimal("0.001"), new BigDecimal("100")), LIMIT));
    assertEquals("quantity", field(new Venue.VenueTerms("BTCUSDT", "BUY", "LIMIT", new BigDecimal("0.01"), new BigDecimal("100")), LIMIT));
    assertEquals("quantity", field(new Venue.VenueTerms("BTCUSDT", "BUY", "LIMIT", null, new BigDecimal("100")), LIMIT));
    assertEquals("price", field(new Venue.VenueTerms("BTCUSDT", "BUY", "LIMIT", new BigDecimal("0.001"), new BigDecimal("99")), LIMIT));
    assertEquals("price", field(new Venue.VenueTerms("BTCUSDT", "BUY", "LIMIT", new BigDecimal("0.001"), null), LIMIT));
    assertEquals("price: ours 100, the venue's 99",
        new Venue.VenueTerms("BTCUSDT", "BUY", "LIMIT", new BigDecimal("0.001"), new BigDecimal("99")).mismatch(LIMIT).toString());
  }
}
