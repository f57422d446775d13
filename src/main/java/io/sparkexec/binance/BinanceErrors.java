package io.sparkexec.binance;

import static org.apache.pekko.http.javadsl.server.Directives.complete;

import io.sparkexec.http.Json;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.RejectionHandler;

/**
 * Binance's error answers, {"code":-1121,"msg":"Invalid symbol."}, with the HTTP status Binance
 * gives each: one place for the codes and sentences the simulator and the front door both speak.
 */
public final class BinanceErrors {

  private BinanceErrors() {}

  /** An error answer: a Binance code (negative) and a sentence. */
  public record Error(int code, String msg) {}

  public static final int UNKNOWN = -1000;
  public static final int INTERNAL = -1001;
  public static final int TOO_MANY_REQUESTS = -1003;
  public static final int TIMEOUT = -1007;
  public static final int TOO_MANY_ORDERS = -1015;
  public static final int ILLEGAL_CHARS = -1100;
  public static final int MANDATORY_PARAM = -1102;
  public static final int NOT_REQUIRED = -1106;
  public static final int INVALID_TIMESTAMP = -1021;
  public static final int INVALID_SIGNATURE = -1022;
  public static final int INVALID_TIF = -1115;
  public static final int INVALID_ORDER_TYPE = -1116;
  public static final int INVALID_SIDE = -1117;
  public static final int BAD_SYMBOL = -1121;
  public static final int INVALID_LISTEN_KEY = -1125;
  public static final int BAD_RECV_WINDOW = -1131;
  public static final int FILTER_FAILURE = -1013;
  public static final int NEW_ORDER_REJECTED = -2010;
  public static final int CANCEL_REJECTED = -2011;
  public static final int NO_SUCH_ORDER = -2013;
  public static final int REJECTED_API_KEY = -2015;

  public static HttpResponse response(int status, int code, String msg) {
    return Json.response(StatusCodes.get(status), new Error(code, msg));
  }

  public static HttpResponse response(int status, Error error) {
    return response(status, error.code(), error.msg());
  }

  public static HttpResponse internalError() {
    return response(500, INTERNAL, "Internal error; unable to process your request. Please try again.");
  }

  public static HttpResponse invalidSymbol() {
    return response(400, BAD_SYMBOL, "Invalid symbol.");
  }

  public static HttpResponse unknownOrder() {
    return response(400, NO_SUCH_ORDER, "Order does not exist.");
  }

  public static HttpResponse unknownCancel() {
    return response(400, CANCEL_REJECTED, "Unknown order sent.");
  }

  public static HttpResponse unknownListenKey() {
    return response(400, INVALID_LISTEN_KEY, "This listenKey does not exist.");
  }

  public static HttpResponse unknownKey() {
    return response(401, REJECTED_API_KEY, "Invalid API-key, IP, or permissions for action.");
  }

  public static String mandatoryMessage(String param) {
    return "Mandatory parameter '" + param + "' was not sent, was empty/null, or malformed.";
  }

  public static HttpResponse mandatory(String param) {
    return response(400, MANDATORY_PARAM, mandatoryMessage(param));
  }

  public static String illegalMessage(String param, String legal) {
    return "Illegal characters found in parameter '" + param + "'; legal range is '" + legal + "'.";
  }

  public static HttpResponse illegal(String param, String legal) {
    return response(400, ILLEGAL_CHARS, illegalMessage(param, legal));
  }

  /** A non-negative integer of at most 18 digits, or null. */
  public static Long number(String text) {
    if (!text.matches("^[0-9]{1,18}$")) return null;
    return Long.parseLong(text);
  }

  /** Pekko's own rejections (unknown path, wrong method, not a WebSocket request) in Binance's error shape. */
  public static RejectionHandler rejections() {
    return RejectionHandler.newBuilder()
        .handleNotFound(complete(response(404, UNKNOWN, "No such endpoint.")))
        .build()
        .withFallback(RejectionHandler.defaultHandler())
        .mapRejectionResponse(r -> {
          if (r.entity().getContentType().mediaType().subType().equals("json")) return r;
          String text = r.entity() instanceof HttpEntity.Strict strict ? strict.getData().utf8String() : r.status().reason();
          return response(r.status().intValue(), UNKNOWN, text);
        });
  }
}
