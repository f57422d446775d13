package io.sparkexec.risk;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.order.Rejection;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** Reads a small JSON request body field by field and keeps the first rule broken (field named), like OrderRequest.parse. */
final class BodyFields {

  static final Pattern STRATEGY = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern DECIMAL = Pattern.compile("[0-9]{1,18}(\\.[0-9]{1,18})?");

  private final JsonNode body;
  Rejection rejection;

  BodyFields(JsonNode body, Set<String> allowed) {
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

  private JsonNode node(String name, boolean required) {
    if (rejection != null) return null;
    JsonNode n = body.get(name);
    if (n == null || n.isNull()) {
      if (required) rejection = Rejection.invalid(name, "REQUIRED", name + " is required");
      return null;
    }
    return n;
  }

  String text(String name, boolean required, int maxLength) {
    JsonNode n = node(name, required);
    if (n == null) return null;
    if (!n.isTextual() || n.textValue().isBlank()) return fail(name, "INVALID_TYPE", name + " must be a non-empty string");
    if (n.textValue().length() > maxLength) return fail(name, "TOO_LONG", name + " must be at most " + maxLength + " characters");
    return n.textValue();
  }

  String matching(String name, Pattern pattern, String rule) {
    String s = text(name, true, 200);
    if (s != null && !pattern.matcher(s).matches()) return fail(name, "INVALID_FORMAT", name + " " + rule);
    return s;
  }

  <E extends Enum<E>> E enumValue(String name, Class<E> type) {
    JsonNode n = node(name, true);
    if (n == null) return null;
    if (n.isTextual()) for (E e : type.getEnumConstants()) if (e.name().equals(n.textValue())) return e;
    return fail(name, "INVALID_VALUE", name + " must be one of " + java.util.Arrays.toString(type.getEnumConstants()).replaceAll("[\\[\\]]", ""));
  }

  boolean bool(String name) {
    JsonNode n = node(name, false);
    if (n == null) return false;
    if (!n.isBoolean()) {
      fail(name, "INVALID_TYPE", name + " must be true or false");
      return false;
    }
    return n.booleanValue();
  }

  BigDecimal decimal(String name) {
    JsonNode n = node(name, true);
    if (n == null) return null;
    String s = n.isNumber() ? n.decimalValue().toPlainString() : n.isTextual() ? n.textValue() : "";
    if (!DECIMAL.matcher(s).matches()) return fail(name, "INVALID_DECIMAL", name + " must be a non-negative decimal such as \"100\" or \"0.5\"");
    return new BigDecimal(s);
  }

  Long wholeNumber(String name) {
    JsonNode n = node(name, true);
    if (n == null) return null;
    if (!n.canConvertToExactIntegral() || !n.canConvertToLong()) return fail(name, "INVALID_TYPE", name + " must be a whole number");
    return n.longValue();
  }

  <T> T fail(String field, String code, String message) {
    if (rejection == null) rejection = Rejection.invalid(field, code, message);
    return null;
  }
}
