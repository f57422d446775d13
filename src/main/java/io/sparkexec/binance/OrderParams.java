package io.sparkexec.binance;

import static io.sparkexec.binance.BinanceErrors.illegalMessage;
import static io.sparkexec.binance.BinanceErrors.mandatoryMessage;

import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * A POST /api/v3/order's fields checked as Binance checks them, in Binance's order and with its
 * codes: the simulator turns the result into a venue order, the front door into an order request.
 */
public final class OrderParams {

  private OrderParams() {}

  public static final Pattern DECIMAL = Pattern.compile("^([0-9]{1,20})(\\.[0-9]{1,20})?$");
  public static final Pattern CLIENT_ORDER_ID = Pattern.compile("^[.A-Z:/a-z0-9_-]{1,36}$");

  /**
   * A place request's fields. {@code quantity} or {@code quoteOrderQty} (MARKET only) is set;
   * {@code timeInForce} and {@code price} are null for MARKET; {@code clientOrderId} null when none
   * was sent; {@code respType} null when none was asked for.
   */
  public record Place(String symbol, Side side, OrderType type, TimeInForce timeInForce, BigDecimal quantity, BigDecimal quoteOrderQty,
      BigDecimal price, String clientOrderId, BinanceOrders.RespType respType) {}

  /** Either the fields or the error refusing them (exactly one is set). */
  public record Parsed(Place place, BinanceErrors.Error error) {}

  /** {@code field}: a parameter's value by name (empty when absent); {@code known}: whether a symbol is traded. */
  public static Parsed parse(Function<String, Optional<String>> field, Predicate<String> known) {
    Optional<String> symbol = field.apply("symbol");
    Optional<String> side = field.apply("side");
    Optional<String> type = field.apply("type");
    Optional<String> quantity = field.apply("quantity");
    Optional<String> id = field.apply("newClientOrderId");
    if (symbol.isEmpty()) return refused(BinanceErrors.MANDATORY_PARAM, mandatoryMessage("symbol"));
    if (!known.test(symbol.get())) return refused(BinanceErrors.BAD_SYMBOL, "Invalid symbol.");
    if (side.isEmpty()) return refused(BinanceErrors.MANDATORY_PARAM, mandatoryMessage("side"));
    if (!side.get().equals("BUY") && !side.get().equals("SELL")) return refused(BinanceErrors.INVALID_SIDE, "Invalid side.");
    if (type.isEmpty()) return refused(BinanceErrors.MANDATORY_PARAM, mandatoryMessage("type"));
    if (!type.get().equals("LIMIT") && !type.get().equals("MARKET")) return refused(BinanceErrors.INVALID_ORDER_TYPE, "Invalid orderType.");
    OrderType orderType = OrderType.valueOf(type.get());
    Optional<String> quoteQty = field.apply("quoteOrderQty");
    if (quoteQty.isPresent() && (orderType != OrderType.MARKET || quantity.isPresent())) {
      return refused(BinanceErrors.NOT_REQUIRED, "Parameter 'quoteOrderQty' sent when not required.");
    }
    if (quantity.isEmpty() && quoteQty.isEmpty()) {
      return refused(BinanceErrors.MANDATORY_PARAM,
          orderType == OrderType.MARKET ? "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!" : mandatoryMessage("quantity"));
    }
    if (quantity.isPresent() && !DECIMAL.matcher(quantity.get()).matches()) return illegal("quantity", DECIMAL.pattern());
    if (quoteQty.isPresent() && !DECIMAL.matcher(quoteQty.get()).matches()) return illegal("quoteOrderQty", DECIMAL.pattern());
    if (id.isPresent() && !CLIENT_ORDER_ID.matcher(id.get()).matches()) return illegal("newClientOrderId", CLIENT_ORDER_ID.pattern());
    Optional<String> respType = field.apply("newOrderRespType");
    if (respType.isPresent() && !List.of("ACK", "RESULT", "FULL").contains(respType.get())) return illegal("newOrderRespType", "ACK, RESULT, FULL");
    Optional<String> tif = field.apply("timeInForce");
    Optional<String> price = field.apply("price");
    TimeInForce timeInForce = null;
    BigDecimal limitPrice = null;
    if (orderType == OrderType.LIMIT) {
      if (tif.isEmpty()) return refused(BinanceErrors.MANDATORY_PARAM, mandatoryMessage("timeInForce"));
      if (!List.of("GTC", "IOC", "FOK").contains(tif.get())) return refused(BinanceErrors.INVALID_TIF, "Invalid timeInForce.");
      if (price.isEmpty()) return refused(BinanceErrors.MANDATORY_PARAM, mandatoryMessage("price"));
      if (!DECIMAL.matcher(price.get()).matches()) return illegal("price", DECIMAL.pattern());
      timeInForce = TimeInForce.valueOf(tif.get());
      limitPrice = new BigDecimal(price.get());
    } else {
      if (tif.isPresent()) return refused(BinanceErrors.NOT_REQUIRED, "Parameter 'timeInForce' sent when not required.");
      if (price.isPresent()) return refused(BinanceErrors.NOT_REQUIRED, "Parameter 'price' sent when not required.");
    }
    return new Parsed(new Place(symbol.get(), Side.valueOf(side.get()), orderType, timeInForce, quantity.map(BigDecimal::new).orElse(null),
        quoteQty.map(BigDecimal::new).orElse(null), limitPrice, id.orElse(null), respType.map(BinanceOrders.RespType::valueOf).orElse(null)), null);
  }

  private static Parsed refused(int code, String msg) {
    return new Parsed(null, new BinanceErrors.Error(code, msg));
  }

  private static Parsed illegal(String param, String legal) {
    return refused(BinanceErrors.ILLEGAL_CHARS, illegalMessage(param, legal));
  }
}
