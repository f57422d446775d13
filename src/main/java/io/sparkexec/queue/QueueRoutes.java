package io.sparkexec.queue;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.pathEnd;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.ApiErrors;
import io.sparkexec.http.Auth;
import io.sparkexec.http.Json;
import io.sparkexec.http.RouteMetrics;
import io.sparkexec.order.OrderRoutes;
import io.sparkexec.order.Scope;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;

/** The queue API over HTTP (trader role). Rules live in {@link QueueService}. */
public final class QueueRoutes {

  private static final String BASE = "/api/private/queue/";

  private final QueueService queue;
  private final Auth auth;
  private final long maxBodyBytes;

  private final int retryAfterSeconds;

  public QueueRoutes(QueueService queue, Auth auth, long maxBodyBytes, Duration fullRetryAfter) {
    this.queue = queue;
    this.auth = auth;
    this.maxBodyBytes = maxBodyBytes;
    this.retryAfterSeconds = (int) Math.max(1, fullRetryAfter.toSeconds());
  }

  /** The method is matched before the key is checked: a wrong method answers 405 whatever the key. */
  public Route route() {
    return pathPrefix("api", () -> pathPrefix("private", () -> pathPrefix("queue", () -> concat(
        endpoint("enqueue", post(scope -> withJsonBody(body -> queue.enqueue(body, scope)))),
        endpoint("claim", post(scope -> parameterOptional("max", max -> parameterOptional("visibilityMs", ms ->
            answer(queue.claim(max.orElse(null), ms.orElse(null), scope)))))),
        endpoint("ack", post(scope -> withJsonBody(body -> queue.ack(body, scope)))),
        endpoint("nack", post(scope -> withJsonBody(body -> queue.nack(body, scope)))),
        endpoint("stats", get(scope -> answer(queue.stats()))),
        pathPrefix("dead-letters", () -> concat(
            pathEnd(() -> RouteMetrics.template(BASE + "dead-letters", () -> concat(
                get(scope -> parameterOptional("limit", limit -> parameterOptional("cursor", cursor ->
                    answer(queue.deadLetters(limit.orElse(null), cursor.orElse(null), scope))))),
                delete(scope -> selection((ids, strategy) -> answer(queue.purge(ids, strategy, scope))))))),
            path("redrive", () -> RouteMetrics.template(BASE + "dead-letters/redrive", () ->
                post(scope -> selection((ids, strategy) -> answer(queue.redrive(ids, strategy, scope))))))))))));
  }

  private Route endpoint(String name, Route inner) {
    return path(name, () -> RouteMetrics.template(BASE + name, () -> inner));
  }

  private Route get(Function<Scope, Route> inner) {
    return Directives.get(() -> authorized(inner));
  }

  private Route post(Function<Scope, Route> inner) {
    return Directives.post(() -> authorized(inner));
  }

  private Route delete(Function<Scope, Route> inner) {
    return Directives.delete(() -> authorized(inner));
  }

  private Route authorized(Function<Scope, Route> inner) {
    return auth.require(Auth.Role.TRADER, p -> inner.apply(OrderRoutes.scope(p)));
  }

  /** The dead letters a purge or redrive names: {@code ids} (comma-separated) and {@code strategy}, both optional. */
  private static Route selection(BiFunction<String, String, Route> inner) {
    return parameterOptional("ids", ids -> parameterOptional("strategy", strategy -> inner.apply(ids.orElse(null), strategy.orElse(null))));
  }

  /** Media type, charset, size and strict JSON are {@link Json#body}'s; the fields are the service's. */
  private Route withJsonBody(Function<JsonNode, CompletionStage<QueueService.Result>> handler) {
    return Json.body(maxBodyBytes, body -> answer(handler.apply(body)));
  }

  private Route answer(CompletionStage<QueueService.Result> result) {
    return completeWithFuture(result.thenApply(this::toResponse));
  }

  private HttpResponse toResponse(QueueService.Result result) {
    if (result instanceof QueueService.Refused refused) return OrderRoutes.refused(refused.rejection());
    DurableQueue.Reply reply = ((QueueService.Answered) result).reply();
    if (reply instanceof DurableQueue.Enqueued e) return Json.ok(new EnqueuedBody(e.accepted(), e.duplicates()));
    if (reply instanceof DurableQueue.Claimed c) {
      return Json.ok(new ClaimedBody(c.jobs().stream()
          .map(j -> new ClaimedJobBody(j.jobId(), data(j.data()), j.claimToken(), j.delivery(), j.visibleAgainAt())).toList()));
    }
    if (reply instanceof DurableQueue.Acked a) return Json.ok(new AckedBody(a.jobId(), true));
    if (reply instanceof DurableQueue.Nacked n) return Json.ok(new NackedBody(n.jobId(), n.deadLettered()));
    if (reply instanceof DurableQueue.ClaimNotHeld n) {
      return ApiErrors.response(409, "CLAIM_NOT_HELD", "job " + n.jobId() + " is not in flight under this claim (expired or reclaimed)",
          "claim", null);
    }
    if (reply instanceof DurableQueue.UnknownJob u) {
      return ApiErrors.response(404, "JOB_NOT_FOUND", "no job " + u.jobId() + " in the queue (acked already, or never enqueued)", "job", null);
    }
    if (reply instanceof DurableQueue.QueueFull f) {
      return ApiErrors.retryLater(429, "QUEUE_FULL", "the queue holds " + f.depth() + " ready and in-flight jobs, max-depth is " + f.maxDepth()
          + "; retry when consumers have made room", retryAfterSeconds, Map.of("maxDepth", f.maxDepth()));
    }
    if (reply instanceof DurableQueue.DeadLettersChanged c) return Json.ok(new DeadLettersChangedBody(c.changed(), c.notFound()));
    if (reply instanceof DurableQueue.Stats s) return Json.ok(s);
    DurableQueue.DeadLetters d = (DurableQueue.DeadLetters) reply;
    return Json.ok(new DeadLettersBody(d.jobs().size(), d.total(), d.next() == null ? null : d.next().cursor(), d.jobs().stream()
        .map(j -> new DeadLetterBody(j.jobId(), j.strategy(), data(j.data()), j.enqueuedAt(), j.deliveries(), j.lastError())).toList()));
  }

  /** Data was stored as the JSON text the service produced, so it parses. */
  private static JsonNode data(String json) {
    try {
      return Json.MAPPER.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private record EnqueuedBody(List<String> accepted, List<String> duplicates) {}

  private record ClaimedJobBody(String job, JsonNode data, String claim, int delivery, Instant visibleAgainAt) {}

  private record ClaimedBody(List<ClaimedJobBody> jobs) {}

  private record AckedBody(String job, boolean acked) {}

  private record NackedBody(String job, boolean deadLettered) {}

  private record DeadLetterBody(String job, String strategy, JsonNode data, Instant enqueuedAt, int deliveries, String lastError) {}

  /** {@code count}: on this page; {@code total}: all the caller may see; {@code nextCursor}: null on the last page. */
  private record DeadLettersBody(int count, int total, String nextCursor, List<DeadLetterBody> jobs) {}

  private record DeadLettersChangedBody(List<String> jobs, List<String> notFound) {}
}
