package io.sparkexec.venue.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import io.sparkexec.venue.Venue;
import io.sparkexec.venue.Venue.Fill;
import io.sparkexec.venue.Venue.VenueOrder;
import io.sparkexec.venue.Venue.VenueOrderReport;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pages allOrders and myTrades read: by id, by time, bounded. */
class HistoryTest {

  private static VenueOrder order(String id) {
    return new VenueOrder(id, "BTCUSDT", Side.BUY, OrderType.MARKET, TimeInForce.IOC, new BigDecimal("0.001"), null);
  }

  private static VenueOrderReport filled(String id, long orderId, long tradeId, long millis) {
    Fill fill = new Fill(String.valueOf(tradeId), new BigDecimal("65000"), new BigDecimal("0.001"), new BigDecimal("0.065"), "USDT",
        Instant.ofEpochMilli(millis));
    return new VenueOrderReport(id, String.valueOf(orderId), "BTCUSDT", Venue.VenueStatus.FILLED, List.of(fill), null, Instant.ofEpochMilli(millis));
  }

  @Test
  void pagesStartAtTheIdOrTimeAndStopAtTheLimitOrEndTime() {
    History history = new History(100, 100);
    for (int i = 1; i <= 5; i++) history.created(order("c-" + i), filled("c-" + i, i, 10 + i, 1000L * i));
    assertEquals(List.of(3L, 4L), history.orders("BTCUSDT", 3, 0, Long.MAX_VALUE, 2).stream().map(History.OrderEntry::orderId).toList());
    assertEquals(List.of(2L, 3L), history.orders("BTCUSDT", 0, 1500, 3000, 10).stream().map(History.OrderEntry::orderId).toList());
    assertEquals(List.of(14L, 15L), history.trades("BTCUSDT", 14, 0, Long.MAX_VALUE, 10).stream().map(History.Trade::id).toList());
    assertEquals(List.of(), history.trades("BTCUSDT", 0, 6000, Long.MAX_VALUE, 10));
    assertEquals(List.of(), history.orders("ETHUSDT", 0, 0, Long.MAX_VALUE, 10));
    assertEquals(5, history.stats("BTCUSDT").count());
  }

  @Test
  void theOldestAreDroppedPastTheBound() {
    History history = new History(3, 2);
    for (int i = 1; i <= 5; i++) history.created(order("c-" + i), filled("c-" + i, i, 10 + i, 1000L * i));
    assertEquals(List.of(3L, 4L, 5L), history.orders("BTCUSDT", 0, 0, Long.MAX_VALUE, 10).stream().map(History.OrderEntry::orderId).toList());
    assertEquals(List.of(14L, 15L), history.trades("BTCUSDT", 0, 0, Long.MAX_VALUE, 10).stream().map(History.Trade::id).toList());
    assertNull(history.order("BTCUSDT", 1));
    // a dropped order no longer takes changes (its clientOrderId entry went with it)
    history.changed(filled("c-2", 2, 99, 9000));
    assertEquals(List.of(14L, 15L), history.trades("BTCUSDT", 0, 0, Long.MAX_VALUE, 10).stream().map(History.Trade::id).toList());
    assertNotNull(history.order("BTCUSDT", 3));
    // a start time before everything kept begins at the oldest kept
    assertEquals(3L, history.orders("BTCUSDT", 0, 500, Long.MAX_VALUE, 1).get(0).orderId());
  }
}
