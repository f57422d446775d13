package io.sparkexec.shadow;

import io.sparkexec.CborSerializable;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * A shadow order as journaled and shown: the order, the market at the decision, the simulated
 * fill and latency. {@code source}: request (POST /order/shadow), mode (TRADE_MODE=shadow) or twin
 * (the shadow of the real order {@code twinOf}).
 */
public record ShadowOrder(
    String shadowId,
    String source,
    String twinOf,
    String clientOrderId,
    String strategy,
    String symbol,
    Side side,
    OrderType type,
    TimeInForce timeInForce,
    BigDecimal quantity,
    BigDecimal price,
    BigDecimal decisionPrice,
    List<ShadowFill.Fill> fills,
    BigDecimal executedQty,
    BigDecimal avgPrice,
    ShadowFill.Status status,
    BigDecimal slippageBps,
    long latencyMs,
    Instant at)
    implements CborSerializable {

  public static final String REQUEST = "request";
  public static final String MODE = "mode";
  public static final String TWIN = "twin";
}
