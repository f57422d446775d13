package io.sparkexec.http;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * pekko-http's answer to a request it could not parse (URI too long, too many or too large
 * headers, a bad header value), in our JSON error shape instead of text/plain. Named in
 * {@code pekko.http.server.parsing.error-handler}; pekko-http makes it by its no-argument constructor.
 */
public final class JsonParsingErrorHandler extends ParsingErrorHandler {

  @Override
  public HttpResponse handle(StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    String code = switch (status.intValue()) {
      case 414 -> "URI_TOO_LONG";
      case 431 -> "REQUEST_HEAD_TOO_LARGE";
      case 413 -> "PAYLOAD_TOO_LARGE";
      case 505 -> "HTTP_VERSION_NOT_SUPPORTED";
      case 501 -> "NOT_IMPLEMENTED";
      default -> "MALFORMED_REQUEST";
    };
    log.info("event=http_request_unparsable status={} code={} reason=\"{}\"", status.intValue(), code, info.summary().replaceAll("[\\r\\n\\x00]", " "));
    String field = info.errorHeaderName().isEmpty() ? null : info.errorHeaderName();
    return ApiErrors.response(status.intValue(), code, info.summary(), field, null);
  }
}
