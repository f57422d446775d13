package io.sparkexec.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.AuthorizationFailedRejection;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedQueryParamRejection;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.MissingQueryParamRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.server.UnsupportedRequestContentTypeRejection;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every error leaves as {@code {"error":{"code","message","field","details"}}}, also Pekko's own
 * rejections and limits (unknown path, wrong method, wrong content type, body too large).
 */
public final class ApiErrors {

  private static final Logger log = LoggerFactory.getLogger(ApiErrors.class);

  private ApiErrors() {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ApiError(String code, String message, String field, Map<String, Object> details) {}

  public record Body(ApiError error) {}

  public static HttpResponse response(int status, String code, String message, String field, Map<String, Object> details) {
    return Json.response(StatusCodes.get(status), new Body(new ApiError(code, message, field, details == null || details.isEmpty() ? null : details)));
  }

  public static HttpResponse response(StatusCode status, String code, String message) {
    return response(status.intValue(), code, message, null, null);
  }

  /** 429/503 answers tell the client when to come back. */
  public static HttpResponse retryLater(int status, String code, String message, int retryAfterSeconds, Map<String, Object> details) {
    return response(status, code, message, null, details).addHeader(RetryAfter.create((long) retryAfterSeconds));
  }

  public static Route error(StatusCode status, String code, String message) {
    return complete(response(status, code, message));
  }

  public static RejectionHandler rejectionHandler() {
    return RejectionHandler.newBuilder()
        .handleAll(MethodRejection.class, rs -> {
          String allowed = rs.stream().map(r -> r.supported().name()).distinct().collect(Collectors.joining(", "));
          return complete(response(405, "METHOD_NOT_ALLOWED", "method not allowed here; allowed: " + allowed, null, Map.of("allowed", allowed))
              .addHeader(RawHeader.create("Allow", allowed)));
        })
        .handle(UnsupportedRequestContentTypeRejection.class, r ->
            complete(response(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json", null, null)))
        .handle(MalformedRequestContentRejection.class, r -> complete(unreadableBody(r.getCause())
            .orElseGet(() -> response(400, "MALFORMED_JSON", "the body could not be read", "body", null))))
        .handle(MissingQueryParamRejection.class, r ->
            complete(response(400, "REQUIRED", "query parameter " + r.parameterName() + " is required", r.parameterName(), null)))
        .handle(MalformedQueryParamRejection.class, r ->
            complete(response(400, "INVALID_VALUE", "query parameter " + r.parameterName() + ": " + r.errorMsg(), r.parameterName(), null)))
        .handle(AuthorizationFailedRejection.class, r -> complete(response(403, "FORBIDDEN", "this key's role may not do that", null, null)))
        .handleNotFound(complete(response(404, "NOT_FOUND", "no such endpoint", null, null)))
        .build()
        .withFallback(RejectionHandler.defaultHandler())
        .mapRejectionResponse(ApiErrors::jsonify);
  }

  /** Pekko's default rejection answers are plain text; give them our JSON shape. */
  private static HttpResponse jsonify(HttpResponse r) {
    if (r.entity().getContentType().mediaType().isApplication() && r.entity().getContentType().mediaType().subType().equals("json")) return r;
    String code = r.status().reason().toUpperCase().replaceAll("[^A-Z0-9]+", "_");
    return response(r.status().intValue(), code, r.status().reason(), null, null);
  }

  public static ExceptionHandler exceptionHandler() {
    return ExceptionHandler.newBuilder().matchAny(e -> complete(forException(e))).build();
  }

  private static HttpResponse forException(Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    Optional<HttpResponse> body = unreadableBody(cause);
    if (body.isPresent()) return body.get();
    // an ask that ran out of time (reads, cancels): busy or failing, not a bug
    if (cause instanceof TimeoutException) return retryLater(503, "TIMEOUT", "no answer in time; retry shortly", 1, null);
    log.error("event=http_unhandled_error error={}", cause.toString(), cause);
    return response(500, "INTERNAL_ERROR", "unexpected error; see the server log", null, null);
  }

  /** A request body that could not be read for a reason the client must hear: too large (before or after decoding), in a coding not read, or corrupt in it. */
  private static Optional<HttpResponse> unreadableBody(Throwable cause) {
    if (cause instanceof EntityStreamSizeException tooLarge) return Optional.of(tooLarge(tooLarge.limit()));
    if (cause instanceof RequestDecoding.BodyTooLarge decoded) {
      return Optional.of(response(413, "PAYLOAD_TOO_LARGE", "request body is larger than " + decoded.limitBytes + " bytes once decoded from "
          + decoded.coding.token(), "body", Map.of("limitBytes", decoded.limitBytes, "contentEncoding", decoded.coding.token())));
    }
    if (cause instanceof RequestDecoding.UnsupportedCoding unsupported) return Optional.of(unsupported.response());
    if (cause instanceof RequestDecoding.BodyCorrupt corrupt) {
      return Optional.of(response(400, "MALFORMED_CONTENT_ENCODING", corrupt.getMessage(), "body", Map.of("contentEncoding", corrupt.coding.token())));
    }
    return Optional.empty();
  }

  public static HttpResponse tooLarge(long limitBytes) {
    return response(413, "PAYLOAD_TOO_LARGE", "request body is larger than " + limitBytes + " bytes", "body", Map.of("limitBytes", limitBytes));
  }
}
