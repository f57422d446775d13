package io.sparkexec.order;

import io.sparkexec.venue.Venue;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

/** The order as the API shows it; kept apart from {@link Order} so the journal's schema and the API's can move separately. */
public record OrderJson(
    String clientOrderId,
    String venueOrderId,
    String symbol,
    String side,
    String type,
    String timeInForce,
    BigDecimal quantity,
    BigDecimal price,
    String status,
    BigDecimal executedQty,
    BigDecimal avgPrice,
    List<Venue.Fill> fills,
    String strategy,
    BigDecimal decisionPrice,
    String reason,
    Order.Timestamps timestamps) {

  public static OrderJson of(Order o) {
    BigDecimal avg = o.executedQty().signum() == 0 ? null
        : o.cumQuoteQty().divide(o.executedQty(), Math.max(8, o.price() == null ? 8 : o.price().scale()), RoundingMode.HALF_UP).stripTrailingZeros();
    return new OrderJson(o.clientOrderId(), o.venueOrderId(), o.symbol(), o.side().name(), o.type().name(), o.timeInForce().name(),
        o.quantity(), o.price(), o.status().name(), o.executedQty(), avg, o.fills(), o.strategy(), o.decisionPrice(), o.reason(),
        o.timestamps());
  }
}
