package io.sparkexec.order;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.Json;
import io.sparkexec.venue.OrderSpec;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import io.sparkexec.venue.Venue;
import java.math.BigDecimal;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class OrderJsonTest {

  static final Instant T0 = Instant.parse("2026-01-02T03:04:05.123Z");

  static Order order(String price) {
    return Order.accepted(new OrderDesk.OrderAccepted("c1", new OrderSpec("BTCUSDT", Side.BUY, OrderType.LIMIT, TimeInForce.GTC, new BigDecimal("3"), price == null ? null : new BigDecimal(price), null), null, T0, T0));
  }

  static OrderDesk.OrderFilled fill(String id, String price, String qty) {
    return new OrderDesk.OrderFilled("c1", null, new Venue.Fill(id, new BigDecimal(price), new BigDecimal(qty), BigDecimal.ZERO, "USDT", T0));
  }

  @Test
  void averagePriceIsNullBeforeAnyFill() {
    assertNull(OrderJson.of(order("100.00")).avgPrice());
  }

  @Test
  void averagePriceIsWeightedByQuantity() {
    Order o = order("100.00").apply(fill("t1", "100.00", "1")).apply(fill("t2", "100.03", "2"));
    // (100.00 + 200.06) / 3 = 100.02
    assertEquals(0, new BigDecimal("100.02").compareTo(OrderJson.of(o).avgPrice()));
    Order uneven = order("100.00").apply(fill("t1", "100.00", "1")).apply(fill("t2", "100.01", "2"));
    // 300.02 / 3 = 100.006666... kept to 8 places
    assertEquals(new BigDecimal("100.00666667"), OrderJson.of(uneven).avgPrice());
  }

  @Test
  void jsonCarriesDecimalsAsPlainStringsAndTimesAsIso() throws Exception {
    Order o = order("0.00000010").apply(fill("t1", "0.0000001", "1"));
    JsonNode json = Json.MAPPER.readTree(Json.bytes(OrderJson.of(o)));
    assertEquals("0.00000010", json.get("price").textValue());
    assertEquals("3", json.get("quantity").textValue());
    assertEquals("1", json.get("executedQty").textValue());
    assertTrue(json.get("avgPrice").isTextual());
    assertEquals("PARTIALLY_FILLED", json.get("status").textValue());
    assertEquals("2026-01-02T03:04:05.123Z", json.get("timestamps").get("received").textValue());
    assertEquals("0.0000001", json.get("fills").get(0).get("price").textValue());
  }
}
