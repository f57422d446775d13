package io.sparkexec.queue;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.entity;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.withSizeLimit;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.ApiErrors;
import io.sparkexec.http.Auth;
import io.sparkexec.http.Json;
import io.sparkexec.http.RouteMetrics;
import io.sparkexec.order.OrderRoutes;
import io.sparkexec.order.Rejection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/** The queue API over HTTP (trader role). Rules live in {@link QueueService}. */
public final class QueueRoutes {

  private static final String BASE = "/api/private/queue/";

  private final QueueService queue;
  private final Auth auth;
  private final long maxBodyBytes;

  public QueueRoutes(QueueService queue, Auth auth, long maxBodyBytes) {
    this.queue = queue;
    this.auth = auth;
    this.maxBodyBytes = maxBodyBytes;
  }

  public Route route() {
    return pathPrefix("api", () -> pathPrefix("private", () -> pathPrefix("queue", () -> concat(
        path("enqueue", () -> RouteMetrics.template(BASE + "enqueue", () -> auth.require(Auth.Role.TRADER, p ->
            post(() -> withJsonBody(body -> queue.enqueue(body, OrderRoutes.scope(p))))))),
        endpoint("claim", () -> post(() -> parameterOptional("max", max -> parameterOptional("visibilityMs", ms ->
            answer(queue.claim(max.orElse(null), ms.orElse(null))))))),
        endpoint("ack", () -> post(() -> withJsonBody(queue::ack))),
        endpoint("nack", () -> post(() -> withJsonBody(queue::nack))),
        endpoint("stats", () -> get(() -> answer(queue.stats()))),
        endpoint("dead-letters", () -> get(() -> answer(queue.deadLetters())))))));
  }

  private Route endpoint(String name, Supplier<Route> inner) {
    return path(name, () -> RouteMetrics.template(BASE + name, () -> auth.require(Auth.Role.TRADER, p -> inner.get())));
  }

  /** Media type, size and JSON syntax are checked here; the fields are the service's. */
  private Route withJsonBody(Function<JsonNode, CompletionStage<QueueService.Result>> handler) {
    return extractRequestEntity(entity -> {
      if (!entity.getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
        return complete(ApiErrors.response(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json", null, null));
      }
      return withSizeLimit(maxBodyBytes, () -> entity(Unmarshaller.entityToByteString(), bytes -> {
        JsonNode body;
        try {
          body = Json.MAPPER.readTree(bytes.toArray());
        } catch (IOException e) {
          return complete(OrderRoutes.refused(Rejection.invalid("body", "MALFORMED_JSON", "the body is not valid JSON")));
        }
        return answer(handler.apply(body));
      }));
    });
  }

  private static Route answer(CompletionStage<QueueService.Result> result) {
    return completeWithFuture(result.thenApply(QueueRoutes::toResponse));
  }

  private static HttpResponse toResponse(QueueService.Result result) {
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
      return ApiErrors.response(409, "CLAIM_NOT_HELD", "job " + n.jobId() + " is not in flight under this claim (acked, expired or unknown)",
          "claim", null);
    }
    if (reply instanceof DurableQueue.Stats s) return Json.ok(s);
    DurableQueue.DeadLetters d = (DurableQueue.DeadLetters) reply;
    return Json.ok(new DeadLettersBody(d.jobs().size(), d.jobs().stream()
        .map(j -> new DeadLetterBody(j.jobId(), data(j.data()), j.enqueuedAt(), j.deliveries(), j.lastError())).toList()));
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

  private record DeadLetterBody(String job, JsonNode data, Instant enqueuedAt, int deliveries, String lastError) {}

  private record DeadLettersBody(int count, List<DeadLetterBody> jobs) {}
}
