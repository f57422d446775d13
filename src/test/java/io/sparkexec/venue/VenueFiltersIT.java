package io.sparkexec.venue;

import static io.sparkexec.testing.TestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.sparkexec.testing.TestServer;
import io.sparkexec.testing.TestServer.Response;
import io.sparkexec.testing.TestVenueSim;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #15: with VENUE=http the executor checks orders against the filters the venue states in
 * exchangeInfo, not only its own config. Here the executor is configured with a BTCUSDT tick of
 * 1 and a DOGEUSDT the simulator does not list; the simulator's tick is 0.01.
 */
class VenueFiltersIT {

  @TempDir
  static Path dataDir;

  static TestVenueSim sim;
  static TestServer server;
  static BigDecimal farBelowBid;

  @BeforeAll
  static void start() {
    sim = TestVenueSim.inProcess(dataDir.resolve("sim"));
    server = TestServer.inProcess(dataDir.resolve("executor"), ConfigFactory.parseString("""
        spark.venue.kind = http
        spark.venue.http.url = "%s"
        spark.venue.symbols = [
          { symbol = "BTCUSDT", base = "BTC", quote = "USDT", tick-size = "1", step-size = "0.00001",
            min-qty = "0.00001", max-qty = "9000", min-notional = "5", initial-price = "65000.00",
            volatility-bps = 2, spread-ticks = 1, touch-qty = "2.5" }
          { symbol = "DOGEUSDT", base = "DOGE", quote = "USDT", tick-size = "0.00001", step-size = "1",
            min-qty = "1", max-qty = "9000000", min-notional = "1", initial-price = "0.10000",
            volatility-bps = 5, spread-ticks = 1, touch-qty = "100000" }
        ]
        """.formatted(sim.url())));
    BigDecimal bid = new BigDecimal(sim.get("/api/v3/ticker/bookTicker?symbol=BTCUSDT").json().path("bidPrice").asText());
    farBelowBid = bid.multiply(new BigDecimal("0.5")).setScale(0, RoundingMode.DOWN);
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
    if (sim != null) sim.close();
  }

  private static Response limitBuy(String id, String symbol, String price) {
    return server.placeOrder(json("clientOrderId", id, "symbol", symbol, "side", "BUY", "type", "LIMIT", "timeInForce", "GTC",
        "quantity", "0.001", "price", price));
  }

  @Test
  void thePriceTickIsTheVenues() {
    // a cent price breaks the configured tick of 1 and passes the venue's 0.01
    Response cents = limitBuy("filters-cents", "BTCUSDT", farBelowBid.add(new BigDecimal("0.05")).toPlainString());
    assertEquals(200, cents.status(), cents::toString);
    assertEquals("ACKNOWLEDGED", cents.json().path("status").asText(), cents::toString);

    Response mills = limitBuy("filters-mills", "BTCUSDT", farBelowBid.add(new BigDecimal("0.005")).toPlainString());
    assertEquals(422, mills.status(), mills::toString);
    assertEquals("TICK_SIZE", mills.json().path("error").path("code").asText(), mills::toString);
    assertTrue(mills.json().path("error").path("message").asText().contains("tickSize 0.01"), mills::toString);
    assertEquals(0, sim.submissions("filters-mills"), "refused before it was sent");
    assertEquals(200, server.delete("/api/private/order/filters-cents").status());
  }

  @Test
  void aSymbolTheVenueDoesNotListIsRefusedBeforeItIsSent() {
    Response r = server.placeOrder(json("clientOrderId", "filters-doge", "symbol", "DOGEUSDT", "side", "BUY", "type", "LIMIT",
        "timeInForce", "GTC", "quantity", "100", "price", "0.05000"));
    assertEquals(422, r.status(), r::toString);
    assertEquals("UNKNOWN_SYMBOL", r.json().path("error").path("code").asText(), r::toString);
    assertTrue(r.json().path("error").path("message").asText().contains("not listed by the venue"), r::toString);
    assertEquals(0, sim.submissions("filters-doge"));
  }
}
