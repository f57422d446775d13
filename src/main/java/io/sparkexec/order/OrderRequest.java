package io.sparkexec.order;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.CborSerializable;
import io.sparkexec.venue.OrderSpec;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import java.math.BigDecimal;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * A place request that passed field validation: every field typed, quantities and prices as
 * exact decimals. {@link #parse} names the first bad field and the rule it breaks.
 */
public record OrderRequest(String clientOrderId, OrderSpec spec, RespType respType) implements CborSerializable, OrderSpec.Carrier {

  public OrderRequest(String clientOrderId, String symbol, Side side, OrderType type, TimeInForce timeInForce, BigDecimal quantity,
      BigDecimal price, String strategy, RespType respType) {
    this(clientOrderId, new OrderSpec(symbol, side, type, timeInForce, quantity, price, strategy), respType);
  }

  /** What the place call waits for before it answers. */
  public enum RespType {
    ACCEPTED,
    ACKNOWLEDGED,
    RESULT
  }

  /** Either a request or why the body is not one. */
  public record Parsed(OrderRequest request, Rejection rejection) {}

  // "." and ".." are URL dot segments: clients drop them from a path, so GET and DELETE could never reach such an order
  private static final Pattern CLIENT_ORDER_ID = Pattern.compile("(?!\\.\\.?$)[A-Za-z0-9._:/-]{1,36}");
  public static final String CLIENT_ORDER_ID_RULE = "must be 1-36 characters of A-Z a-z 0-9 . _ : / -, and not . or ..";
  private static final Pattern SYMBOL = Pattern.compile("[A-Z0-9]{2,20}");
  private static final Set<String> FIELDS =
      Set.of("clientOrderId", "symbol", "side", "type", "timeInForce", "quantity", "price", "strategy", "respType");

  /** A clientOrderId an order can have: what a path id is checked against before any lookup. */
  public static boolean isClientOrderId(String id) {
    return CLIENT_ORDER_ID.matcher(id).matches();
  }

  /** Same order as {@code other}: what idempotency compares (respType is how to answer, not what). */
  public boolean sameOrderAs(OrderRequest other) {
    return spec.sameAs(other.spec);
  }

  /**
   * Validates a JSON body. {@code respTypeParam} (query parameter) is used when the body has
   * none; {@code newId} assigns a clientOrderId when the body has none.
   */
  public static Parsed parse(JsonNode body, String respTypeParam, Supplier<String> newId) {
    BodyFields f = new BodyFields(body, FIELDS);
    String clientOrderId = f.matching("clientOrderId", CLIENT_ORDER_ID, CLIENT_ORDER_ID_RULE, false);
    String symbol = f.matching("symbol", SYMBOL, "must be 2-20 characters of A-Z 0-9", true);
    Side side = f.enumValue("side", Side.class, true);
    OrderType type = f.enumValue("type", OrderType.class, true);
    TimeInForce tif = f.enumValue("timeInForce", TimeInForce.class, false);
    BigDecimal quantity = f.decimal("quantity", true, false);
    BigDecimal price = f.decimal("price", false, false);
    String strategy = f.matching("strategy", BodyFields.STRATEGY, BodyFields.STRATEGY_RULE, false);
    RespType respType = f.enumValue("respType", RespType.class, false);
    if (f.rejection() != null) return new Parsed(null, f.rejection());
    if (respType == null && respTypeParam != null) {
      try {
        respType = RespType.valueOf(respTypeParam);
      } catch (IllegalArgumentException e) {
        return invalid("respType", "INVALID_VALUE", "respType must be one of ACCEPTED, ACKNOWLEDGED, RESULT");
      }
    }
    if (type == OrderType.LIMIT && price == null) return invalid("price", "REQUIRED", "price is required for LIMIT orders");
    if (type == OrderType.MARKET && price != null) return invalid("price", "NOT_ALLOWED", "price is not allowed for MARKET orders");
    if (type == OrderType.MARKET && tif != null && tif != TimeInForce.IOC) {
      return invalid("timeInForce", "NOT_ALLOWED", "MARKET orders are IOC; timeInForce must be absent or IOC");
    }
    if (tif == null) tif = type == OrderType.MARKET ? TimeInForce.IOC : TimeInForce.GTC;
    return new Parsed(
        new OrderRequest(clientOrderId != null ? clientOrderId : newId.get(), symbol, side, type, tif, quantity, price, strategy,
            respType != null ? respType : RespType.ACKNOWLEDGED),
        null);
  }

  private static Parsed invalid(String field, String code, String message) {
    return new Parsed(null, Rejection.invalid(field, code, message));
  }
}
