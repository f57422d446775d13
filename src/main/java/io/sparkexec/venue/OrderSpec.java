package io.sparkexec.venue;

import io.sparkexec.CborSerializable;
import java.math.BigDecimal;
import java.util.Objects;

/**
 * What an order is, independent of where it is in its life: the one record the place request,
 * the journaled acceptance, the order's state, the venue submit and the shadow order share.
 * {@code price} is null for MARKET orders; {@code strategy} may be null (unscoped callers).
 * It lives in the venue room because the venue is the lowest room that speaks of orders.
 */
public record OrderSpec(
    String symbol,
    Side side,
    OrderType type,
    TimeInForce timeInForce,
    BigDecimal quantity,
    BigDecimal price,
    String strategy)
    implements CborSerializable {

  /** Same order: quantities and prices compared by numeric value ("1.0" is "1"). */
  public boolean sameAs(OrderSpec other) {
    return symbol.equals(other.symbol)
        && side == other.side
        && type == other.type
        && timeInForce == other.timeInForce
        && quantity.compareTo(other.quantity) == 0
        && (price == null ? other.price == null : other.price != null && price.compareTo(other.price) == 0)
        && Objects.equals(strategy, other.strategy);
  }

  /**
   * Something that carries a spec (the request, the order, the venue submit), read through as if
   * the spec's fields were its own.
   */
  public interface Carrier {
    OrderSpec spec();

    default String symbol() {
      return spec().symbol();
    }

    default Side side() {
      return spec().side();
    }

    default OrderType type() {
      return spec().type();
    }

    default TimeInForce timeInForce() {
      return spec().timeInForce();
    }

    default BigDecimal quantity() {
      return spec().quantity();
    }

    default BigDecimal price() {
      return spec().price();
    }

    default String strategy() {
      return spec().strategy();
    }
  }

  /** The same order for another quantity (a resubmit of what is left). */
  public OrderSpec withQuantity(BigDecimal newQuantity) {
    return new OrderSpec(symbol, side, type, timeInForce, newQuantity, price, strategy);
  }
}
