package io.sparkexec.order;

import java.util.Map;

/**
 * Why a request is refused before anything is journaled. Guards and validation return it as a
 * value (never an exception); routes map {@link Kind} to an HTTP status and a JSON error body.
 */
public record Rejection(Kind kind, String code, String message, String field, Map<String, Object> details) {

  public enum Kind {
    INVALID(400),
    FORBIDDEN(403),
    NOT_FOUND(404),
    CONFLICT(409),
    UNSUPPORTED(415),
    RULE(422),
    LOCKED(423),
    TOO_MANY(429),
    UNAVAILABLE(503);

    public final int httpStatus;

    Kind(int httpStatus) {
      this.httpStatus = httpStatus;
    }
  }

  public static Rejection invalid(String field, String code, String message) {
    return new Rejection(Kind.INVALID, code, message, field, Map.of());
  }

  public static Rejection rule(String field, String code, String message) {
    return new Rejection(Kind.RULE, code, message, field, Map.of());
  }
}
