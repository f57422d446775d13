package io.sparkexec.order;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads a JSON request body field by field and keeps the first rule broken, with the field
 * named: every endpoint's 400 answers read the same. Reads after a rejection return null.
 */
public final class BodyFields {

  public static final Pattern STRATEGY = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  public static final String STRATEGY_RULE = "must be 1-64 characters of A-Z a-z 0-9 . _ -";
  private static final Pattern DECIMAL = Pattern.compile("-?[0-9]{1,18}(\\.[0-9]{1,18})?");

  private final JsonNode body;
  private Rejection rejection;

  /** Refuses a body that is not an object or names a field outside {@code allowed}. */
  public BodyFields(JsonNode body, Set<String> allowed) {
    this.body = body;
    if (body == null || !body.isObject()) {
      rejection = Rejection.invalid(null, "NOT_AN_OBJECT", "the body must be a JSON object");
      return;
    }
    for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowed.contains(name)) {
        rejection = Rejection.invalid(name, "UNKNOWN_FIELD", "unknown field " + name + "; known fields: " + String.join(", ", new TreeSet<>(allowed)));
        return;
      }
    }
  }

  /** The first rule broken so far, or null. */
  public Rejection rejection() {
    return rejection;
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

  /** Free text (reasons, names): non-empty, at most {@code maxLength} characters. */
  public String text(String name, boolean required, int maxLength) {
    JsonNode n = node(name, required);
    if (n == null) return null;
    if (!n.isTextual() || n.textValue().isBlank()) return fail(name, "INVALID_TYPE", name + " must be a non-empty string");
    if (n.textValue().length() > maxLength) return fail(name, "TOO_LONG", name + " must be at most " + maxLength + " characters");
    return n.textValue();
  }

  /** A string in a fixed format (ids, symbols); {@code rule} completes "name ...". */
  public String matching(String name, Pattern pattern, String rule, boolean required) {
    JsonNode n = node(name, required);
    if (n == null) return null;
    if (!n.isTextual()) return fail(name, "INVALID_TYPE", name + " must be a string");
    if (!pattern.matcher(n.textValue()).matches()) return fail(name, "INVALID_FORMAT", name + " " + rule);
    return n.textValue();
  }

  public <E extends Enum<E>> E enumValue(String name, Class<E> type, boolean required) {
    JsonNode n = node(name, required);
    if (n == null) return null;
    if (n.isTextual()) {
      for (E e : type.getEnumConstants()) if (e.name().equals(n.textValue())) return e;
    }
    return fail(name, "INVALID_VALUE", name + " must be one of " + Arrays.toString(type.getEnumConstants()).replaceAll("[\\[\\]]", ""));
  }

  public boolean bool(String name) {
    JsonNode n = node(name, false);
    if (n == null) return false;
    if (!n.isBoolean()) {
      fail(name, "INVALID_TYPE", name + " must be true or false");
      return false;
    }
    return n.booleanValue();
  }

  /**
   * An exact decimal from a decimal string ("0.001") or a JSON number, at most 18 digits before
   * and after the point, never through a double. Positive, or with {@code zeroAllowed} at least 0.
   */
  public BigDecimal decimal(String name, boolean required, boolean zeroAllowed) {
    JsonNode n = node(name, required);
    if (n == null) return null;
    BigDecimal value;
    if (n.isTextual() && DECIMAL.matcher(n.textValue()).matches()) {
      value = new BigDecimal(n.textValue());
    } else if (n.isNumber()) {
      value = n.decimalValue();
      if (value.scale() > 18 || value.precision() - value.scale() > 18) {
        return fail(name, "INVALID_DECIMAL", name + " must have at most 18 digits before and after the point");
      }
    } else {
      return fail(name, "INVALID_DECIMAL", name + " must be a decimal string such as \"0.001\" or a JSON number");
    }
    if (value.signum() < 0 || (value.signum() == 0 && !zeroAllowed)) {
      return zeroAllowed
          ? fail(name, "MUST_NOT_BE_NEGATIVE", name + " must be 0 or more")
          : fail(name, "MUST_BE_POSITIVE", name + " must be greater than 0");
    }
    return value;
  }

  /** Any JSON value but null, carried as it is (payloads the reader does not look inside). */
  public JsonNode value(String name, boolean required) {
    return node(name, required);
  }

  /** A JSON array of {@code min} to {@code max} items. */
  public JsonNode array(String name, boolean required, int min, int max) {
    JsonNode n = node(name, required);
    if (n == null) return null;
    if (!n.isArray()) return fail(name, "INVALID_TYPE", name + " must be an array");
    if (n.size() < min) return fail(name, "REQUIRED", name + " must hold at least " + min + " item" + (min == 1 ? "" : "s"));
    if (n.size() > max) return fail(name, "TOO_MANY_ITEMS", name + " must hold at most " + max + " items");
    return n;
  }

  public Long wholeNumber(String name) {
    JsonNode n = node(name, true);
    if (n == null) return null;
    if (!n.canConvertToExactIntegral() || !n.canConvertToLong()) return fail(name, "INVALID_TYPE", name + " must be a whole number");
    return n.longValue();
  }

  /** Records a rule broken (the first one wins) and returns null for the caller to return. */
  public <T> T fail(String field, String code, String message) {
    if (rejection == null) rejection = Rejection.invalid(field, code, message);
    return null;
  }
}
