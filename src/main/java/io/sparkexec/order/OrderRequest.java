package io.sparkexec.order;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.CborSerializable;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * A place request that passed field validation: every field typed, quantities and prices as
 * exact decimals. {@link #parse} names the first bad field and the rule it breaks.
 */
public record OrderRequest(
    String clientOrderId,
    String symbol,
    Side side,
    OrderType type,
    TimeInForce timeInForce,
    BigDecimal quantity,
    BigDecimal price,
    String strategy,
    RespType respType)
    implements CborSerializable {

  /** What the place call waits for before it answers. */
  public enum RespType {
    ACCEPTED,
    ACKNOWLEDGED,
    RESULT
  }

  /** Either a request or why the body is not one. */
  public record Parsed(OrderRequest request, Rejection rejection) {}

  private static final Pattern CLIENT_ORDER_ID = Pattern.compile("[A-Za-z0-9._:/-]{1,36}");
  private static final Pattern SYMBOL = Pattern.compile("[A-Z0-9]{2,20}");
  private static final Pattern STRATEGY = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern DECIMAL = Pattern.compile("-?[0-9]{1,18}(\\.[0-9]{1,18})?");
  private static final Set<String> FIELDS =
      Set.of("clientOrderId", "symbol", "side", "type", "timeInForce", "quantity", "price", "strategy", "respType");

  /** Same order as {@code other}: what idempotency compares (respType is how to answer, not what). */
  public boolean sameOrderAs(OrderRequest other) {
    return symbol.equals(other.symbol)
        && side == other.side
        && type == other.type
        && timeInForce == other.timeInForce
        && quantity.compareTo(other.quantity) == 0
        && (price == null ? other.price == null : other.price != null && price.compareTo(other.price) == 0)
        && java.util.Objects.equals(strategy, other.strategy);
  }

  /**
   * Validates a JSON body. {@code respTypeParam} (query parameter) is used when the body has
   * none; {@code newId} assigns a clientOrderId when the body has none.
   */
  public static Parsed parse(JsonNode body, String respTypeParam, Supplier<String> newId) {
    if (body == null || !body.isObject()) return invalid(null, "NOT_AN_OBJECT", "the body must be a JSON object");
    for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) return invalid(name, "UNKNOWN_FIELD", "unknown field " + name + "; known fields: " + String.join(", ", new java.util.TreeSet<>(FIELDS)));
    }
    Field f = new Field(body);
    String clientOrderId = f.string("clientOrderId", CLIENT_ORDER_ID, "must be 1-36 characters of A-Z a-z 0-9 . _ : / -", false);
    String symbol = f.string("symbol", SYMBOL, "must be 2-20 characters of A-Z 0-9", true);
    Side side = f.enumValue("side", Side.class, true);
    OrderType type = f.enumValue("type", OrderType.class, true);
    TimeInForce tif = f.enumValue("timeInForce", TimeInForce.class, false);
    BigDecimal quantity = f.decimal("quantity", true);
    BigDecimal price = f.decimal("price", false);
    String strategy = f.string("strategy", STRATEGY, "must be 1-64 characters of A-Z a-z 0-9 . _ -", false);
    RespType respType = f.enumValue("respType", RespType.class, false);
    if (f.rejection != null) return new Parsed(null, f.rejection);
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

  /** Reads fields in order and keeps the first rejection. */
  private static final class Field {
    final JsonNode body;
    Rejection rejection;

    Field(JsonNode body) {
      this.body = body;
    }

    private JsonNode node(String name, boolean required) {
      if (rejection != null) return null;
      JsonNode n = body.get(name);
      if (n == null || n.isNull()) {
        if (required) rejection = Rejection.invalid(name, "REQUIRED", name + " is required");
        return null;
      }
      return n;
    }

    String string(String name, Pattern pattern, String rule, boolean required) {
      JsonNode n = node(name, required);
      if (n == null) return null;
      if (!n.isTextual()) {
        rejection = Rejection.invalid(name, "INVALID_TYPE", name + " must be a string");
        return null;
      }
      if (!pattern.matcher(n.textValue()).matches()) {
        rejection = Rejection.invalid(name, "INVALID_FORMAT", name + " " + rule);
        return null;
      }
      return n.textValue();
    }

    <E extends Enum<E>> E enumValue(String name, Class<E> type, boolean required) {
      JsonNode n = node(name, required);
      if (n == null) return null;
      if (n.isTextual()) {
        for (E e : type.getEnumConstants()) if (e.name().equals(n.textValue())) return e;
      }
      rejection = Rejection.invalid(name, "INVALID_VALUE", name + " must be one of " + java.util.Arrays.toString(type.getEnumConstants()).replaceAll("[\\[\\]]", ""));
      return null;
    }

    BigDecimal decimal(String name, boolean required) {
      JsonNode n = node(name, required);
      if (n == null) return null;
      BigDecimal value;
      if (n.isTextual() && DECIMAL.matcher(n.textValue()).matches()) {
        value = new BigDecimal(n.textValue());
      } else if (n.isNumber() && !n.isTextual()) {
        value = n.decimalValue();
        if (value.scale() > 18 || value.precision() - value.scale() > 18) {
          rejection = Rejection.invalid(name, "INVALID_DECIMAL", name + " must have at most 18 digits before and after the point");
          return null;
        }
      } else {
        rejection = Rejection.invalid(name, "INVALID_DECIMAL", name + " must be a decimal string such as \"0.001\" or a JSON number");
        return null;
      }
      if (value.signum() <= 0) {
        rejection = Rejection.invalid(name, "MUST_BE_POSITIVE", name + " must be greater than 0");
        return null;
      }
      return value;
    }
  }
}
