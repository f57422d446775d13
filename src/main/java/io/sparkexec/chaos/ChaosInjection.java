package io.sparkexec.chaos;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractUri;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.toStrictEntity;

import io.sparkexec.http.ApiErrors;
import io.sparkexec.metrics.Metrics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.Patterns;

/**
 * Fault injection on the private API, as a route wrapper: it runs before the wrapped routes, so
 * an injected error reaches no guard and journals nothing. Added latency is a scheduler timer the
 * request waits on, never a blocked thread. Chaos, the kill switch, the SLO view and everything
 * public (health, ready, metrics) are never touched, whatever the settings or scope say.
 */
public final class ChaosInjection {

  static final String PRIVATE_API = "/api/private/";
  /**
   * Path prefixes chaos never touches: the controls an operator needs to stop the chaos or the
   * trading, and the instruments that show whether it is hurting (SLOs, health, readiness, metrics).
   */
  public static final List<String> EXEMPT = List.of("/api/private/chaos", "/api/private/kill-switch", "/api/private/slo", "/api/public/");
  // a delayed request's body is read first, so the wait cannot outlast the entity stream's subscription timeout
  private static final Duration READ_BODY_TIMEOUT = Duration.ofSeconds(5);

  private static final HttpResponse INJECTED = ApiErrors.retryLater(503, "UNAVAILABLE",
      "the service is unavailable (chaos: injected fault); retry (orders: with the same clientOrderId)", 1, Map.of("injected", true));

  private final Supplier<ChaosSettings> settings;
  private final ActorSystem<?> system;

  ChaosInjection(Supplier<ChaosSettings> settings, ActorSystem<?> system) {
    this.settings = settings;
    this.system = system;
  }

  /** True when chaos may touch this path at all (private API, not exempt). */
  public static boolean injectable(String path) {
    return path.startsWith(PRIVATE_API) && EXEMPT.stream().noneMatch(path::startsWith);
  }

  public Route wrap(Route inner) {
    return extractUri(uri -> {
      ChaosSettings s = settings.get();
      String path = uri.path();
      if (!s.httpActive() || !injectable(path) || !s.scope().coversRoute(path)) return inner;
      boolean fail = ChaosSettings.hit(s.httpErrorPct());
      if (s.httpLatencyMs() == 0) return fail ? injected() : inner;
      return toStrictEntity(READ_BODY_TIMEOUT, () -> onSuccess(
          () -> Patterns.after(Duration.ofMillis(s.httpLatencyMs()), system, () -> CompletableFuture.completedFuture(Done.getInstance())),
          done -> fail ? injected() : inner));
    });
  }

  private static Route injected() {
    Metrics.CHAOS_HTTP_ERRORS.withoutTags().increment();
    return complete(INJECTED);
  }
}
