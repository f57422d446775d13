package io.sparkexec.http;

import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.mapRequest;
import static org.apache.pekko.http.javadsl.server.Directives.mapResponse;

import io.sparkexec.metrics.Metrics;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.AttributeKey;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * HTTP request duration labelled by route template (never the raw path, so labels stay
 * bounded), method and status. Endpoints name their template with {@link #template}.
 */
public final class RouteMetrics {

  private RouteMetrics() {}

  private static final class Template {
    volatile String name = "unmatched";
  }

  private static final AttributeKey<Template> KEY = AttributeKey.create("spark-route-template", Template.class);

  /** Told of every response with its route template, on the response path (the SLOs' API error rate): must be quick. */
  public interface Listener {
    Listener NONE = (route, status) -> {};

    void responded(String routeTemplate, int status);
  }

  /** Wraps the whole (sealed) route: every response is timed and told to the listener. */
  static Route timed(Supplier<Route> sealed, Listener listener) {
    return mapRequest(r -> r.addAttribute(KEY, new Template()), () -> extractRequest(request -> {
      long start = System.nanoTime();
      Template template = request.getAttribute(KEY).orElseThrow();
      return mapResponse(response -> {
        Metrics.HTTP_REQUEST_DURATION
            .withTag("route", template.name)
            .withTag("method", request.method().name())
            .withTag("status", String.valueOf(response.status().intValue()))
            .record(System.nanoTime() - start);
        listener.responded(template.name, response.status().intValue());
        return response;
      }, sealed);
    }));
  }

  /** Names the endpoint a request reached, e.g. "/api/private/order/{clientOrderId}". */
  public static Route template(String name, Supplier<Route> inner) {
    return extractRequest(request -> {
      request.getAttribute(KEY).ifPresent(t -> t.name = name);
      return inner.get();
    });
  }
}
