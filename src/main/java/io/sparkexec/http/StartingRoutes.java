package io.sparkexec.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequestContext;

import java.util.List;
import java.util.Map;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The rooms' routes behind a switch, so the port can be bound before the rooms are wired: until
 * {@link #up} every request past the system routes answers 503 STARTING with the pending gates and
 * a Retry-After; from then on the rooms answer. The switch is one volatile read per request.
 */
public final class StartingRoutes {

  private final Readiness readiness;
  private volatile Route rooms;

  public StartingRoutes(Readiness readiness) {
    this.readiness = readiness;
  }

  public void up(Route rooms) {
    this.rooms = rooms;
  }

  public Route route() {
    return extractRequestContext(request -> {
      Route up = rooms;
      return up != null ? up : complete(ApiErrors.retryLater(503, "STARTING",
          "the executor is starting and this endpoint is not up yet; GET /api/public/ready shows the pending gates", 1,
          Map.of("pending", pending())));
    });
  }

  private List<String> pending() {
    return readiness.gates().entrySet().stream().filter(e -> e.getValue().status() != Readiness.Status.PASSED).map(Map.Entry::getKey).toList();
  }
}
