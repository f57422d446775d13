package io.sparkexec.queue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.order.Rejection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue's front door: validates requests (a refused one is never journaled) and bounds the
 * commands waiting for the queue actor, which stashes while it persists; past the bound callers
 * get a TOO_MANY rejection instead of a stash overflow. Answers are values, never exceptions.
 */
public final class QueueService {

  private static final Logger log = LoggerFactory.getLogger(QueueService.class);
  private static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  // tokens are UUIDs; anything much longer is not one of ours
  private static final int MAX_CLAIM_TOKEN = 64;
  private static final int MAX_ERROR_CHARS = 2000;
  // half a day: a consumer that needs longer should nack and re-enqueue in parts
  private static final long MAX_VISIBILITY_MS = 43_200_000L;

  public sealed interface Result {}

  public record Answered(DurableQueue.Reply reply) implements Result {}

  public record Refused(Rejection rejection) implements Result {}

  private final ActorSystem<?> system;
  private final ActorRef<DurableQueue.Command> queue;
  private final DurableQueue.Settings settings;
  private final AtomicInteger inFlight = new AtomicInteger();

  public QueueService(ActorSystem<?> system, ActorRef<DurableQueue.Command> queue, DurableQueue.Settings settings) {
    this.system = system;
    this.queue = queue;
    this.settings = settings;
  }

  /** {"job","data"} or {"jobs":[{"job","data"},...]}. */
  public CompletionStage<Result> enqueue(JsonNode body) {
    if (!body.isObject()) return refuse(Rejection.invalid("body", "NOT_AN_OBJECT", "the body must be a JSON object"));
    if (body.has("jobs")) {
      if (body.has("job")) return refuse(Rejection.invalid("job", "NOT_ALLOWED", "send either job or jobs, not both"));
      JsonNode jobs = body.get("jobs");
      if (!jobs.isArray()) return refuse(Rejection.invalid("jobs", "INVALID_TYPE", "jobs must be an array"));
      if (jobs.isEmpty()) return refuse(Rejection.invalid("jobs", "REQUIRED", "jobs must hold at least one job"));
      if (jobs.size() > settings.maxBatch()) {
        return refuse(Rejection.invalid("jobs", "TOO_MANY_JOBS", "at most " + settings.maxBatch() + " jobs per batch"));
      }
      List<DurableQueue.NewJob> parsed = new ArrayList<>(jobs.size());
      for (int i = 0; i < jobs.size(); i++) {
        String prefix = "jobs[" + i + "].";
        if (!jobs.get(i).isObject()) return refuse(Rejection.invalid("jobs[" + i + "]", "NOT_AN_OBJECT", "each job must be a JSON object"));
        Rejection r = checkNewJob(jobs.get(i), prefix);
        if (r != null) return refuse(r);
        parsed.add(newJob(jobs.get(i)));
      }
      return ask(replyTo -> new DurableQueue.EnqueueBatch(List.copyOf(parsed), replyTo));
    }
    Rejection r = checkNewJob(body, "");
    if (r != null) return refuse(r);
    return ask(replyTo -> new DurableQueue.Enqueue(newJob(body), replyTo));
  }

  /** Query parameters as sent (null: absent). */
  public CompletionStage<Result> claim(String max, String visibilityMs) {
    Long n = max == null ? Long.valueOf(1) : integer(max);
    if (n == null || n < 1 || n > settings.maxBatch()) {
      return refuse(Rejection.invalid("max", "INVALID_VALUE", "max must be an integer from 1 to " + settings.maxBatch()));
    }
    Long ms = visibilityMs == null ? Long.valueOf(settings.visibility().toMillis()) : integer(visibilityMs);
    if (ms == null || ms < 1 || ms > MAX_VISIBILITY_MS) {
      return refuse(Rejection.invalid("visibilityMs", "INVALID_VALUE", "visibilityMs must be an integer from 1 to " + MAX_VISIBILITY_MS));
    }
    int count = n.intValue();
    Duration visibility = Duration.ofMillis(ms);
    return ask(replyTo -> new DurableQueue.Claim(count, visibility, replyTo));
  }

  /** {"job","claim"}. */
  public CompletionStage<Result> ack(JsonNode body) {
    Rejection r = checkClaimed(body);
    if (r != null) return refuse(r);
    return ask(replyTo -> new DurableQueue.Ack(body.get("job").asText(), body.get("claim").asText(), replyTo));
  }

  /** {"job","claim","error"}. */
  public CompletionStage<Result> nack(JsonNode body) {
    Rejection r = checkClaimed(body);
    if (r == null) r = checkString(body, "error", "error", MAX_ERROR_CHARS);
    if (r != null) return refuse(r);
    return ask(replyTo -> new DurableQueue.Nack(body.get("job").asText(), body.get("claim").asText(), body.get("error").asText(), replyTo));
  }

  public CompletionStage<Result> stats() {
    return ask(DurableQueue.GetStats::new);
  }

  public CompletionStage<Result> deadLetters() {
    return ask(DurableQueue.GetDeadLetters::new);
  }

  // ---- validation ----

  private static Rejection checkNewJob(JsonNode job, String prefix) {
    Rejection r = checkJobId(job, prefix + "job");
    if (r != null) return r;
    JsonNode data = job.get("data");
    if (data == null || data.isNull()) return Rejection.invalid(prefix + "data", "REQUIRED", "data is required (any JSON value but null)");
    return null;
  }

  private static DurableQueue.NewJob newJob(JsonNode job) {
    // stored as JSON text: the queue carries data, it never looks inside
    return new DurableQueue.NewJob(job.get("job").asText(), job.get("data").toString());
  }

  private static Rejection checkClaimed(JsonNode body) {
    if (!body.isObject()) return Rejection.invalid("body", "NOT_AN_OBJECT", "the body must be a JSON object");
    Rejection r = checkJobId(body, "job");
    return r != null ? r : checkString(body, "claim", "claim", MAX_CLAIM_TOKEN);
  }

  private static Rejection checkJobId(JsonNode node, String field) {
    Rejection r = checkString(node, "job", field, 128);
    if (r != null) return r;
    if (!JOB_ID.matcher(node.get("job").asText()).matches()) {
      return Rejection.invalid(field, "INVALID_FORMAT", "job must be 1-128 characters of A-Z a-z 0-9 . _ : -");
    }
    return null;
  }

  private static Rejection checkString(JsonNode node, String key, String field, int maxChars) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) return Rejection.invalid(field, "REQUIRED", key + " is required");
    if (!v.isTextual()) return Rejection.invalid(field, "INVALID_TYPE", key + " must be a string");
    if (v.asText().isEmpty()) return Rejection.invalid(field, "REQUIRED", key + " must not be empty");
    if (v.asText().length() > maxChars) return Rejection.invalid(field, "TOO_LONG", key + " must be at most " + maxChars + " characters");
    return null;
  }

  private static Long integer(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  // ---- the queue actor ----

  private CompletionStage<Result> ask(Function<ActorRef<DurableQueue.Reply>, DurableQueue.Command> command) {
    if (inFlight.incrementAndGet() > settings.maxInFlight()) {
      inFlight.decrementAndGet();
      return refuse(new Rejection(Rejection.Kind.TOO_MANY, "TOO_MANY_IN_FLIGHT", "too many queue requests in flight; retry shortly", null,
          Map.of("maxInFlight", settings.maxInFlight())));
    }
    return AskPattern.ask(queue, command::apply, settings.askTimeout(), system.scheduler())
        .<Result>thenApply(Answered::new)
        .whenComplete((r, e) -> inFlight.decrementAndGet());
  }

  private static CompletionStage<Result> refuse(Rejection r) {
    log.info("event=queue_request_refused code={} field={}", r.code(), r.field());
    return CompletableFuture.completedFuture(new Refused(r));
  }
}
