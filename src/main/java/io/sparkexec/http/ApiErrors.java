package io.sparkexec.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.AuthorizationFailedRejection;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedQueryParamRejection;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.MissingQueryParamRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.RequestEntityExpectedRejection;
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
          return complete(response(405, "METHOD_NOT_ALLOWED", "method not allowed here; allowed: " + allowed, null, Map.of("allowed", allowed)));
        })
        .handle(UnsupportedRequestContentTypeRejection.class, r ->
            complete(response(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json", null, null)))
        .handle(MalformedRequestContentRejection.class, r -> complete(r.getCause() instanceof EntityStreamSizeException e
            ? tooLarge(e)
            : response(400, "MALFORMED_JSON", r.message(), "body", null)))
        .handle(RequestEntityExpectedRejection.class, r -> complete(response(400, "BODY_REQUIRED", "a JSON body is required", "body", null)))
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
    return ExceptionHandler.newBuilder()
        .match(EntityStreamSizeException.class, e -> complete(tooLarge(e)))
        .matchAny(e -> {
          log.error("event=http_unhandled_error error={}", e.toString(), e);
          return complete(response(500, "INTERNAL_ERROR", "unexpected error; see the server log", null, null));
        })
        .build();
  }

  /** A body over a size limit found while streaming it (chunked, no Content-Length up front). */
  private static HttpResponse tooLarge(EntityStreamSizeException e) {
    return response(413, "PAYLOAD_TOO_LARGE", "request body is larger than " + e.limit() + " bytes", "body", Map.of("limitBytes", e.limit()));
  }

  /** Helper for details maps whose values may be null. */
  public static Map<String, Object> details(Object... keyValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) if (keyValues[i + 1] != null) m.put((String) keyValues[i], keyValues[i + 1]);
    return m;
  }
}
