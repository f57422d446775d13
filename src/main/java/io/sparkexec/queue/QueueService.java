package io.sparkexec.queue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.order.BodyFields;
import io.sparkexec.order.Rejection;
import io.sparkexec.order.Scope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
  private static final String JOB_ID_RULE = "must be 1-128 characters of A-Z a-z 0-9 . _ : -";
  private static final Set<String> JOB_FIELDS = Set.of("job", "data");
  private static final Set<String> BATCH_FIELDS = Set.of("jobs");
  private static final Set<String> ACK_FIELDS = Set.of("job", "claim");
  private static final Set<String> NACK_FIELDS = Set.of("job", "claim", "error");
  // tokens are UUIDs; anything much longer is not one of ours
  private static final int MAX_CLAIM_TOKEN = 64;
  private static final int MAX_ERROR_CHARS = 2000;
  // the ids one purge or redrive may list
  private static final String IDS_RULE = "must be a comma-separated list of job ids";

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

  /**
   * {"job","data"} or {"jobs":[{"job","data"},...]}. A caller bound to strategies may only enqueue
   * data naming one of them ({@code data.strategy}): the signal consumer places what it finds.
   */
  public CompletionStage<Result> enqueue(JsonNode body, Scope scope) {
    if (body != null && body.isObject() && body.has("jobs")) {
      BodyFields f = new BodyFields(body, BATCH_FIELDS);
      JsonNode jobs = f.array("jobs", true, 1, settings.maxBatch());
      if (f.rejection() != null) return refuse(f.rejection());
      List<DurableQueue.NewJob> parsed = new ArrayList<>(jobs.size());
      for (int i = 0; i < jobs.size(); i++) {
        BodyFields job = new BodyFields(jobs.get(i), JOB_FIELDS);
        DurableQueue.NewJob j = newJob(job);
        if (j == null) return refuse(within("jobs[" + i + "]", job.rejection()));
        if (!permits(scope, jobs.get(i).get("data"))) return refuse(forbidden("jobs[" + i + "].data.strategy", scope));
        parsed.add(j);
      }
      return ask(replyTo -> new DurableQueue.EnqueueBatch(List.copyOf(parsed), replyTo));
    }
    BodyFields f = new BodyFields(body, JOB_FIELDS);
    DurableQueue.NewJob job = newJob(f);
    if (job == null) return refuse(f.rejection());
    if (!permits(scope, body.get("data"))) return refuse(forbidden("data.strategy", scope));
    return ask(replyTo -> new DurableQueue.Enqueue(job, replyTo));
  }

  /** Query parameters as sent (null: absent); a scoped caller gets only its strategies' jobs. */
  public CompletionStage<Result> claim(String max, String visibilityMs, Scope scope) {
    Long n = max == null ? Long.valueOf(1) : integer(max);
    if (n == null || n < 1 || n > settings.maxBatch()) {
      return refuse(Rejection.invalid("max", "INVALID_VALUE", "max must be an integer from 1 to " + settings.maxBatch()));
    }
    Long ms = visibilityMs == null ? Long.valueOf(settings.visibility().toMillis()) : integer(visibilityMs);
    long maxMs = settings.maxVisibility().toMillis();
    if (ms == null || ms < 1 || ms > maxMs) {
      return refuse(Rejection.invalid("visibilityMs", "INVALID_VALUE", "visibilityMs must be an integer from 1 to " + maxMs));
    }
    return ask(replyTo -> new DurableQueue.Claim(n.intValue(), Duration.ofMillis(ms), scope.strategies(), replyTo));
  }

  /** {"job","claim"}: another strategy's job is answered as unknown. */
  public CompletionStage<Result> ack(JsonNode body, Scope scope) {
    BodyFields f = new BodyFields(body, ACK_FIELDS);
    String job = f.matching("job", JOB_ID, JOB_ID_RULE, true);
    String claim = f.text("claim", true, MAX_CLAIM_TOKEN);
    if (f.rejection() != null) return refuse(f.rejection());
    return ask(replyTo -> new DurableQueue.Ack(job, claim, scope.strategies(), replyTo));
  }

  /** {"job","claim","error"}: another strategy's job is answered as unknown. */
  public CompletionStage<Result> nack(JsonNode body, Scope scope) {
    BodyFields f = new BodyFields(body, NACK_FIELDS);
    String job = f.matching("job", JOB_ID, JOB_ID_RULE, true);
    String claim = f.text("claim", true, MAX_CLAIM_TOKEN);
    String error = f.text("error", true, MAX_ERROR_CHARS);
    if (f.rejection() != null) return refuse(f.rejection());
    return ask(replyTo -> new DurableQueue.Nack(job, claim, error, scope.strategies(), replyTo));
  }

  /** A page of the dead letters the caller may see; {@code limit} and {@code cursor} as sent (null: absent). */
  public CompletionStage<Result> deadLetters(String limit, String cursor, Scope scope) {
    Long n = limit == null ? Long.valueOf(settings.deadLetterPage()) : integer(limit);
    if (n == null || n < 1 || n > settings.deadLetterPage()) {
      return refuse(Rejection.invalid("limit", "INVALID_VALUE", "limit must be an integer from 1 to " + settings.deadLetterPage()));
    }
    DurableQueue.DeadLetterKey after = null;
    if (cursor != null) {
      after = DurableQueue.DeadLetterKey.fromCursor(cursor);
      if (after == null) return refuse(Rejection.invalid("cursor", "INVALID_VALUE", "cursor must be a nextCursor from an earlier page"));
    }
    DurableQueue.DeadLetterKey from = after;
    return ask(replyTo -> new DurableQueue.GetDeadLetters(scope.strategies(), from, n.intValue(), replyTo));
  }

  /** Purges the selected dead letters ({@code ids} comma-separated, {@code strategy}: query parameters as sent). */
  public CompletionStage<Result> purge(String ids, String strategy, Scope scope) {
    return select(ids, strategy, scope, sel -> ask(replyTo -> new DurableQueue.PurgeDeadLetters(sel, replyTo)));
  }

  /** Moves the selected dead letters back to ready. */
  public CompletionStage<Result> redrive(String ids, String strategy, Scope scope) {
    return select(ids, strategy, scope, sel -> ask(replyTo -> new DurableQueue.RedriveDeadLetters(sel, replyTo)));
  }

  private CompletionStage<Result> select(String ids, String strategy, Scope scope,
      Function<DurableQueue.DeadLetterSelection, CompletionStage<Result>> then) {
    List<String> jobIds = null;
    if (ids != null) {
      jobIds = List.of(ids.split(",", -1));
      if (jobIds.size() > settings.maxBatch()) {
        return refuse(Rejection.invalid("ids", "INVALID_VALUE", "ids may list at most " + settings.maxBatch() + " job ids"));
      }
      for (String id : jobIds) if (!JOB_ID.matcher(id).matches()) return refuse(Rejection.invalid("ids", "INVALID_FORMAT", "ids " + IDS_RULE));
    }
    if (strategy != null && strategy.isEmpty()) return refuse(Rejection.invalid("strategy", "INVALID_VALUE", "strategy must not be empty"));
    // a strategy outside the key's scope selects nothing, as if it had no dead letters
    return then.apply(new DurableQueue.DeadLetterSelection(jobIds, strategy, scope.strategies()));
  }

  // ---- in-process callers (the signal consumer): values already checked ----

  public CompletionStage<Result> enqueue(List<DurableQueue.NewJob> jobs) {
    return ask(replyTo -> new DurableQueue.EnqueueBatch(List.copyOf(jobs), replyTo));
  }

  public CompletionStage<Result> claim(int max, Duration visibility) {
    return ask(replyTo -> new DurableQueue.Claim(max, visibility, replyTo));
  }

  public CompletionStage<Result> ack(String jobId, String claimToken) {
    return ask(replyTo -> new DurableQueue.Ack(jobId, claimToken, replyTo));
  }

  public CompletionStage<Result> ack(List<DurableQueue.Acknowledgement> acks) {
    return ask(replyTo -> new DurableQueue.AckBatch(List.copyOf(acks), replyTo));
  }

  public CompletionStage<Result> nack(String jobId, String claimToken, String error) {
    return ask(replyTo -> new DurableQueue.Nack(jobId, claimToken, error, replyTo));
  }

  public CompletionStage<Result> deadLetter(String jobId, String claimToken, String error) {
    return ask(replyTo -> new DurableQueue.DeadLetter(jobId, claimToken, error, replyTo));
  }

  public CompletionStage<Result> stats() {
    return ask(DurableQueue.GetStats::new);
  }

  // ---- validation ----

  /** Null when a field breaks a rule ({@code f} names it). Data is stored as JSON text: the queue carries it, never looks inside. */
  private static DurableQueue.NewJob newJob(BodyFields f) {
    String id = f.matching("job", JOB_ID, JOB_ID_RULE, true);
    JsonNode data = f.value("data", true);
    return f.rejection() != null ? null : new DurableQueue.NewJob(id, data.toString());
  }

  private static boolean permits(Scope scope, JsonNode data) {
    return scope.permits(data.path("strategy").textValue());
  }

  private static Rejection forbidden(String field, Scope scope) {
    return new Rejection(Rejection.Kind.FORBIDDEN, "STRATEGY_NOT_PERMITTED", "this API key may only enqueue data whose strategy is one of "
        + scope.strategies(), field, Map.of("strategies", scope.strategies()));
  }

  /** A batch item's rejection, its field named within the batch ("jobs[1].data"). */
  private static Rejection within(String item, Rejection r) {
    String field = r.field() == null ? item : item + "." + r.field();
    return new Rejection(r.kind(), r.code(), r.message(), field, r.details());
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
