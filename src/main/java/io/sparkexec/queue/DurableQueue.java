package io.sparkexec.queue;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.CborSerializable;
import io.sparkexec.http.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import io.sparkexec.metrics.Metrics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import io.sparkexec.journal.CopyingSnapshotAdapter;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One event-sourced, at-least-once job queue per name. Jobs wait in a ready line (first
 * deliveries in enqueue order), are claimed for a visibility timeout, and leave memory when
 * acked. A nacked or timed-out job goes to the back of the ready line, or to the dead letters
 * once it has been delivered max-deliveries times. Claims are journaled with their deadline, so
 * after a restart jobs in flight become visible when their timeout runs out, not before.
 *
 * <p>The state is mutable and confined to the actor: each event handler changes it in place in
 * O(jobs in its event), so an event costs the same however many jobs the queue holds or has
 * processed. Handlers stay pure (the same events give an equal state); replies and snapshots
 * get copies, never the live collections.
 */
public final class DurableQueue
    extends EventSourcedBehaviorWithEnforcedReplies<DurableQueue.Command, DurableQueue.Event, DurableQueue.State> {

  public static final String ENTITY_TYPE = "Queue";
  /** The lastError of a job whose claim ran out. */
  public static final String EXPIRED = "visibility timeout expired";

  // ---- protocol ----

  public sealed interface Command extends CborSerializable {}

  public record NewJob(String jobId, String data) implements CborSerializable {}

  public record Enqueue(NewJob job, ActorRef<Reply> replyTo) implements Command {}

  public record EnqueueBatch(List<NewJob> jobs, ActorRef<Reply> replyTo) implements Command {}

  /**
   * {@code strategies}: the caller's scope, null for every strategy. A job's strategy is its data's
   * {@code strategy} field; jobs naming none are only for unscoped callers.
   */
  public record Claim(int max, Duration visibility, Set<String> strategies, ActorRef<Reply> replyTo) implements Command {
    /** An unscoped claim (the in-process consumer). */
    public Claim(int max, Duration visibility, ActorRef<Reply> replyTo) {
      this(max, visibility, null, replyTo);
    }
  }

  /** A job outside {@code strategies} is answered as unknown: a scoped key learns nothing of it. */
  public record Ack(String jobId, String claimToken, Set<String> strategies, ActorRef<Reply> replyTo) implements Command {
    public Ack(String jobId, String claimToken, ActorRef<Reply> replyTo) {
      this(jobId, claimToken, null, replyTo);
    }
  }

  /** One job's ack within {@link AckBatch}. */
  public record Acknowledgement(String jobId, String claimToken) implements CborSerializable {}

  /** Acks many jobs in one journal write: the consumer's throughput path. */
  public record AckBatch(List<Acknowledgement> acks, ActorRef<Reply> replyTo) implements Command {}

  public record Nack(String jobId, String claimToken, String error, Set<String> strategies, ActorRef<Reply> replyTo) implements Command {
    public Nack(String jobId, String claimToken, String error, ActorRef<Reply> replyTo) {
      this(jobId, claimToken, error, null, replyTo);
    }
  }

  /** A failure no retry can mend (the consumer says why): to the dead letters now, whatever deliveries are left. */
  public record DeadLetter(String jobId, String claimToken, String error, ActorRef<Reply> replyTo) implements Command {}

  public record GetStats(ActorRef<Reply> replyTo) implements Command {}

  /** One page of the dead letters in {@code strategies} (null: all), in (strategy, job id) order, after {@code after} (null: from the start). */
  public record GetDeadLetters(Set<String> strategies, DeadLetterKey after, int limit, ActorRef<Reply> replyTo) implements Command {
    /** The first page of every strategy's dead letters. */
    public GetDeadLetters(ActorRef<Reply> replyTo) {
      this(null, null, Integer.MAX_VALUE, replyTo);
    }
  }

  /**
   * Which dead letters a purge or redrive takes: the listed ids ({@code jobIds} null: all of them),
   * of {@code strategy} only (null: any), within the caller's {@code strategies} (null: all). Ids
   * outside the selection are answered as not found.
   */
  public record DeadLetterSelection(List<String> jobIds, String strategy, Set<String> strategies) implements CborSerializable {}

  public record PurgeDeadLetters(DeadLetterSelection selection, ActorRef<Reply> replyTo) implements Command {}

  /** Back to the end of the ready line with their deliveries reset; refused whole when the queue has no room for them. */
  public record RedriveDeadLetters(DeadLetterSelection selection, ActorRef<Reply> replyTo) implements Command {}

  /** Sent by the tick timer (and by tests): claims past their deadline become visible again. */
  public enum ExpireClaims implements Command {
    INSTANCE
  }

  public sealed interface Reply extends CborSerializable {}

  /** {@code duplicates}: job ids already known within the dedupe window, left as they were. */
  public record Enqueued(List<String> accepted, List<String> duplicates) implements Reply {}

  /** {@code enqueuedAt}: when the job was journaled, for queue-wait and end-to-end latency. */
  public record ClaimedJob(String jobId, String data, String claimToken, int delivery, Instant visibleAgainAt, Instant enqueuedAt)
      implements CborSerializable {}

  public record Claimed(List<ClaimedJob> jobs) implements Reply {}

  public record Acked(String jobId) implements Reply {}

  /** {@code notHeld}: jobs whose claim was not held (acked already, expired, unknown); the rest were acked. */
  public record AckedBatch(List<String> acked, List<String> notHeld) implements Reply {}

  /** {@code deadLettered}: this was the last delivery; the job is in the dead letters now. */
  public record Nacked(String jobId, boolean deadLettered) implements Reply {}

  /** The job is in the queue (and the caller's scope) but not in flight under this claim token (expired, reclaimed, not claimed). */
  public record ClaimNotHeld(String jobId) implements Reply {}

  /** The job is not in the queue (acked already, never enqueued) or outside the caller's scope: the same answer for both. */
  public record UnknownJob(String jobId) implements Reply {}

  /** Ready plus in-flight jobs would pass max-depth: nothing was enqueued. */
  public record QueueFull(int depth, int maxDepth) implements Reply {}

  /** {@code changed}: purged or redriven; {@code notFound}: listed ids that are no dead letter the caller may see. */
  public record DeadLettersChanged(List<String> changed, List<String> notFound) implements Reply {}

  public record Stats(int ready, int inFlight, int deadLettered, long oldestReadyAgeSeconds) implements Reply {}

  /** {@code total}: all dead letters the caller may see; {@code next}: where the next page starts, null on the last page. */
  public record DeadLetters(List<Job> jobs, int total, DeadLetterKey next) implements Reply {}

  /** A dead letter's place in the listing order: by strategy ("" for none), then job id. */
  public record DeadLetterKey(String strategy, String jobId) implements CborSerializable, Comparable<DeadLetterKey> {
    @Override
    public int compareTo(DeadLetterKey o) {
      int c = strategy.compareTo(o.strategy);
      return c != 0 ? c : jobId.compareTo(o.jobId);
    }

    /** Opaque to clients: base64url of the job id, a newline (no job id holds one), and the strategy. */
    public String cursor() {
      return Base64.getUrlEncoder().withoutPadding().encodeToString((jobId + "\n" + strategy).getBytes(StandardCharsets.UTF_8));
    }

    /** Null for a cursor no page gave out. */
    public static DeadLetterKey fromCursor(String cursor) {
      try {
        String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        int nl = text.indexOf('\n');
        return nl < 1 ? null : new DeadLetterKey(text.substring(nl + 1), text.substring(0, nl));
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
  }

  public sealed interface Event extends CborSerializable {}

  public record JobsEnqueued(List<NewJob> jobs, Instant at) implements Event {}

  public record JobsClaimed(List<String> jobIds, String claimToken, Instant deadline) implements Event {}

  public record JobAcked(String jobId) implements Event {}

  public record JobsAcked(List<String> jobIds) implements Event {}

  /** Nacked or timed out, with deliveries left: back to the end of the ready line. */
  public record JobsReleased(List<Failure> jobs) implements Event {}

  /** Nacked or timed out on the last delivery. */
  public record JobsDeadLettered(List<Failure> jobs, Instant at) implements Event {}

  public record Failure(String jobId, String error) implements CborSerializable {}

  /** Removed by an operator's purge. */
  public record DeadLettersPurged(List<String> jobIds) implements Event {}

  /** The oldest dead letters, removed to keep max-dead-letters. */
  public record DeadLettersDropped(List<String> jobIds) implements Event {}

  /** Moved back to the end of the ready line, deliveries reset. */
  public record DeadLettersRedriven(List<String> jobIds) implements Event {}

  /**
   * {@code deliveries}: claims so far; {@code lastError}: of the last nack or expiry (null before);
   * {@code strategy}: the data's {@code strategy} field, null when it names none (absent from jobs
   * snapshotted before it existed: read from the data again when they load).
   */
  public record Job(String jobId, String data, Instant enqueuedAt, int deliveries, String lastError, String strategy)
      implements CborSerializable {
    Job delivered() {
      return new Job(jobId, data, enqueuedAt, deliveries + 1, lastError, strategy);
    }

    Job failed(String error) {
      return new Job(jobId, data, enqueuedAt, deliveries, error, strategy);
    }

    Job redriven() {
      return new Job(jobId, data, enqueuedAt, 0, lastError, strategy);
    }

    Job withStrategy() {
      return strategy != null ? this : new Job(jobId, data, enqueuedAt, deliveries, lastError, strategyOf(data));
    }

    /** The index key: "" for a job that names no strategy (only unscoped callers see those). */
    String strategyKey() {
      return strategy == null ? "" : strategy;
    }

    DeadLetterKey key() {
      return new DeadLetterKey(strategyKey(), jobId);
    }

    boolean within(Set<String> strategies) {
      return strategies == null || (strategy != null && strategies.contains(strategy));
    }
  }

  /** The {@code strategy} text field of a job's JSON data, null if there is none: a pure function of the data. */
  static String strategyOf(String data) {
    try {
      JsonNode strategy = Json.MAPPER.readTree(data).get("strategy");
      return strategy != null && strategy.isTextual() ? strategy.textValue() : null;
    } catch (IOException e) {
      return null;
    }
  }

  public record InFlight(Job job, String claimToken, Instant deadline) implements CborSerializable {}

  /**
   * The live queue: changed in place by the event handlers only, read by the command handlers.
   * Insertion order is meaning: {@code ready} is the delivery line, {@code inFlight} the claim
   * order (the expiry scan's), {@code deadLetters} their age (retention drops the first),
   * {@code recentIds} the dedupe window (oldest evicted first). Its serialized form is these four
   * collections, the immutable record it replaced, so snapshots written before still load; the
   * per-strategy indexes are derived from them.
   */
  public static final class State implements CborSerializable {

    /**
     * Never changed: Pekko keeps the empty state for every recovery of an incarnation (a restart
     * after a failed write starts from it again), so the first event makes a live state.
     */
    static final State EMPTY = new State(Map.of(), Map.of(), Map.of(), List.of());

    private final LinkedHashMap<String, Job> ready = new LinkedHashMap<>();
    private final LinkedHashMap<String, InFlight> inFlight = new LinkedHashMap<>();
    private final LinkedHashMap<String, Job> deadLetters = new LinkedHashMap<>();
    private final LinkedHashSet<String> recentIds = new LinkedHashSet<>();
    // the ready jobs by age: scoped claims take jobs from the middle of the line, so a line-ordered structure would not do
    private final transient TreeSet<Job> oldestReady = new TreeSet<>(Comparator.comparing(Job::enqueuedAt).thenComparing(Job::jobId));
    // each strategy's ready line (job id -> place in the whole line), so a scoped claim never walks other strategies' jobs
    private final transient Map<String, LinkedHashMap<String, Long>> readyByStrategy = new HashMap<>();
    private transient long readySeq;
    // the dead letters in listing order, per strategy: a page seeks to its cursor instead of scanning
    private final transient TreeMap<String, TreeMap<String, Job>> deadByStrategy = new TreeMap<>();

    @JsonCreator
    private State(Map<String, Job> ready, Map<String, InFlight> inFlight, Map<String, Job> deadLetters, Collection<String> recentIds) {
      ready.values().forEach(j -> toReady(j.withStrategy()));
      inFlight.forEach((id, f) -> this.inFlight.put(id, new InFlight(f.job().withStrategy(), f.claimToken(), f.deadline())));
      deadLetters.values().forEach(j -> toDead(j.withStrategy()));
      this.recentIds.addAll(recentIds);
    }

    /** A live state to change: this one, or a new one instead of {@link #EMPTY}. */
    State live() {
      return this == EMPTY ? copy() : this;
    }

    /** An equal state sharing no collection with this one (jobs are immutable records). */
    State copy() {
      return new State(ready, inFlight, deadLetters, recentIds);
    }

    public Map<String, Job> ready() {
      return Collections.unmodifiableMap(ready);
    }

    public Map<String, InFlight> inFlight() {
      return Collections.unmodifiableMap(inFlight);
    }

    public Map<String, Job> deadLetters() {
      return Collections.unmodifiableMap(deadLetters);
    }

    /** The ready line in delivery order. */
    public List<String> readyOrder() {
      return List.copyOf(ready.keySet());
    }

    boolean knows(String jobId) {
      return recentIds.contains(jobId) || ready.containsKey(jobId) || inFlight.containsKey(jobId) || deadLetters.containsKey(jobId);
    }

    /** The job as far as a caller bound to {@code strategies} may know it: null when it is not in the queue or not the caller's. */
    Job visible(String jobId, Set<String> strategies) {
      InFlight f = inFlight.get(jobId);
      Job job = f != null ? f.job() : ready.containsKey(jobId) ? ready.get(jobId) : deadLetters.get(jobId);
      return job != null && job.within(strategies) ? job : null;
    }

    int depth() {
      return ready.size() + inFlight.size();
    }

    long oldestReadyAgeSeconds(Instant now) {
      Job oldest = oldestReady.isEmpty() ? null : oldestReady.first();
      return oldest == null ? 0 : Math.max(0, Duration.between(oldest.enqueuedAt(), now).toSeconds());
    }

    /**
     * The first {@code max} ready jobs of {@code strategies} (null: all) in line order: a merge of
     * the strategies' own lines, so the cost is max times the scope's strategies, whatever others hold.
     */
    List<String> nextReady(Set<String> strategies, int max) {
      List<String> ids = new ArrayList<>(Math.min(max, ready.size()));
      if (strategies == null) {
        for (Iterator<String> it = ready.keySet().iterator(); it.hasNext() && ids.size() < max; ) ids.add(it.next());
        return ids;
      }
      List<Iterator<Map.Entry<String, Long>>> lines = new ArrayList<>(strategies.size());
      List<Map.Entry<String, Long>> heads = new ArrayList<>(strategies.size());
      for (String strategy : strategies) {
        LinkedHashMap<String, Long> line = readyByStrategy.get(strategy);
        if (line == null) continue;
        Iterator<Map.Entry<String, Long>> it = line.entrySet().iterator();
        lines.add(it);
        heads.add(it.next());
      }
      while (ids.size() < max && !heads.isEmpty()) {
        int first = 0;
        for (int i = 1; i < heads.size(); i++) if (heads.get(i).getValue() < heads.get(first).getValue()) first = i;
        ids.add(heads.get(first).getKey());
        if (lines.get(first).hasNext()) {
          heads.set(first, lines.get(first).next());
        } else {
          lines.remove(first);
          heads.remove(first);
        }
      }
      return ids;
    }

    /** Up to {@code limit} dead letters of {@code strategies} (null: all) after {@code after}, plus one more if there is one (so the caller knows a next page exists). */
    List<Job> deadLetterPage(Set<String> strategies, DeadLetterKey after, int limit) {
      List<Job> page = new ArrayList<>(Math.min(limit, 64) + 1);
      NavigableSet<String> keys = strategies == null ? deadByStrategy.navigableKeySet() : new TreeSet<>(strategies);
      if (after != null) keys = keys.tailSet(after.strategy(), true);
      for (String strategy : keys) {
        TreeMap<String, Job> jobs = deadByStrategy.get(strategy);
        if (jobs == null) continue;
        Collection<Job> from = after != null && strategy.equals(after.strategy()) ? jobs.tailMap(after.jobId(), false).values() : jobs.values();
        for (Job j : from) {
          page.add(j);
          if (page.size() > limit) return page;
        }
      }
      return page;
    }

    int deadLetterCount(Set<String> strategies) {
      if (strategies == null) return deadLetters.size();
      int n = 0;
      for (String strategy : strategies) {
        TreeMap<String, Job> jobs = deadByStrategy.get(strategy);
        if (jobs != null) n += jobs.size();
      }
      return n;
    }

    /** The dead letters a purge or redrive takes, and the listed ids it cannot take. */
    List<String> select(DeadLetterSelection sel, List<String> notFound) {
      List<String> ids = new ArrayList<>();
      if (sel.jobIds() != null) {
        for (String id : new LinkedHashSet<>(sel.jobIds())) {
          Job j = deadLetters.get(id);
          if (j != null && j.within(sel.strategies()) && (sel.strategy() == null || sel.strategy().equals(j.strategy()))) ids.add(id);
          else notFound.add(id);
        }
        return ids;
      }
      Collection<String> keys = sel.strategy() != null ? List.of(sel.strategy())
          : sel.strategies() != null ? sel.strategies() : deadByStrategy.keySet();
      for (String strategy : keys) {
        TreeMap<String, Job> jobs = deadByStrategy.get(strategy);
        if (jobs != null && (sel.strategies() == null || sel.strategies().contains(strategy))) ids.addAll(jobs.keySet());
      }
      return ids;
    }

    /** The oldest dead letters to drop so that {@code arriving} more leave at most {@code max}. */
    List<String> overflow(List<Failure> arriving, int max) {
      int excess = deadLetters.size() + arriving.size() - max;
      if (excess <= 0) return List.of();
      List<String> ids = new ArrayList<>(excess);
      for (Iterator<String> it = deadLetters.keySet().iterator(); it.hasNext() && ids.size() < excess; ) ids.add(it.next());
      for (Iterator<Failure> it = arriving.iterator(); it.hasNext() && ids.size() < excess; ) ids.add(it.next().jobId());
      return ids;
    }

    State enqueued(JobsEnqueued e, int dedupeWindow) {
      for (NewJob j : e.jobs()) {
        toReady(new Job(j.jobId(), j.data(), e.at(), 0, null, strategyOf(j.data())));
        recentIds.add(j.jobId());
      }
      for (Iterator<String> it = recentIds.iterator(); recentIds.size() > dedupeWindow; ) {
        it.next();
        it.remove();
      }
      return this;
    }

    State claimed(JobsClaimed e) {
      for (String id : e.jobIds()) inFlight.put(id, new InFlight(fromReady(id).delivered(), e.claimToken(), e.deadline()));
      return this;
    }

    State acked(List<String> jobIds) {
      for (String id : jobIds) inFlight.remove(id);
      return this;
    }

    State released(JobsReleased e) {
      for (Failure f : e.jobs()) toReady(inFlight.remove(f.jobId()).job().failed(f.error()));
      return this;
    }

    State deadLettered(JobsDeadLettered e) {
      for (Failure f : e.jobs()) toDead(inFlight.remove(f.jobId()).job().failed(f.error()));
      return this;
    }

    /** Purged or dropped: ids no longer dead are skipped, so the handler never fails on replay. */
    State removedDead(List<String> jobIds) {
      for (String id : jobIds) fromDead(id);
      return this;
    }

    State redriven(DeadLettersRedriven e) {
      for (String id : e.jobIds()) {
        Job job = fromDead(id);
        if (job != null) toReady(job.redriven());
      }
      return this;
    }

    /** To the back of the whole line and of its strategy's line. */
    private void toReady(Job job) {
      ready.put(job.jobId(), job);
      readyByStrategy.computeIfAbsent(job.strategyKey(), k -> new LinkedHashMap<>()).put(job.jobId(), readySeq++);
      oldestReady.add(job);
    }

    /** Claims take jobs from the front of a strategy's line (which may be the middle of the whole line). */
    private Job fromReady(String jobId) {
      Job job = ready.remove(jobId);
      LinkedHashMap<String, Long> line = readyByStrategy.get(job.strategyKey());
      line.remove(jobId);
      if (line.isEmpty()) readyByStrategy.remove(job.strategyKey());
      oldestReady.remove(job);
      return job;
    }

    private void toDead(Job job) {
      deadLetters.put(job.jobId(), job);
      deadByStrategy.computeIfAbsent(job.strategyKey(), k -> new TreeMap<>()).put(job.jobId(), job);
    }

    private Job fromDead(String jobId) {
      Job job = deadLetters.remove(jobId);
      if (job == null) return null;
      TreeMap<String, Job> jobs = deadByStrategy.get(job.strategyKey());
      jobs.remove(jobId);
      if (jobs.isEmpty()) deadByStrategy.remove(job.strategyKey());
      return job;
    }

    /** Equal collections in equal order (the derived lines and indexes follow from them). */
    @Override
    public boolean equals(Object o) {
      return o instanceof State s && Arrays.equals(ready.entrySet().toArray(), s.ready.entrySet().toArray())
          && Arrays.equals(inFlight.entrySet().toArray(), s.inFlight.entrySet().toArray())
          && Arrays.equals(deadLetters.entrySet().toArray(), s.deadLetters.entrySet().toArray())
          && Arrays.equals(recentIds.toArray(), s.recentIds.toArray());
    }

    @Override
    public int hashCode() {
      return Objects.hash(ready, inFlight, deadLetters, recentIds);
    }

    @Override
    public String toString() {
      return "State[ready=" + ready + ", inFlight=" + inFlight + ", deadLetters=" + deadLetters + ", recentIds=" + recentIds + "]";
    }
  }

  public record Settings(String name, Duration visibility, Duration maxVisibility, int maxDeliveries, int dedupeWindow, int snapshotEvery,
      int maxInFlight, int maxBatch, int maxDepth, Duration fullRetryAfter, int maxDeadLetters, int deadLetterPage, Duration tick,
      Duration askTimeout) {
    public static Settings fromConfig(com.typesafe.config.Config queue) {
      return new Settings(queue.getString("name"), queue.getDuration("visibility"), queue.getDuration("max-visibility"),
          queue.getInt("max-deliveries"), queue.getInt("dedupe-window"), queue.getInt("snapshot-every"), queue.getInt("max-in-flight"),
          queue.getInt("max-batch"), queue.getInt("max-depth"), queue.getDuration("full-retry-after"), queue.getInt("max-dead-letters"),
          queue.getInt("dead-letter-page"), queue.getDuration("tick"), queue.getDuration("ask-timeout"));
    }
  }

  public static Behavior<Command> create(Settings settings, Clock clock) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(ExpireClaims.INSTANCE, settings.tick());
      return new DurableQueue(settings, clock, ctx);
    }));
  }

  // ---- entity ----

  private final Settings settings;
  private final Clock clock;
  private final ActorContext<Command> ctx;

  private DurableQueue(Settings settings, Clock clock, ActorContext<Command> ctx) {
    super(persistenceId(settings.name()),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    this.settings = settings;
    this.clock = clock;
    this.ctx = ctx;
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return new CopyingSnapshotAdapter<>(State.class, State::copy);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::onRecovered).build();
  }

  private void onRecovered(State state) {
    ctx.getLog().info("event=queue_recovered queue={} ready={} inFlight={} deadLettered={}", settings.name(), state.ready().size(),
        state.inFlight().size(), state.deadLetters().size());
    updateGauges(state);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Enqueue.class, (s, c) -> enqueue(s, List.of(c.job()), c.replyTo()))
        .onCommand(EnqueueBatch.class, (s, c) -> enqueue(s, c.jobs(), c.replyTo()))
        .onCommand(Claim.class, this::onClaim)
        .onCommand(Ack.class, this::onAck)
        .onCommand(AckBatch.class, this::onAckBatch)
        .onCommand(Nack.class, this::onNack)
        .onCommand(DeadLetter.class, this::onDeadLetter)
        .onCommand(GetStats.class, (s, c) -> Effect().reply(c.replyTo(), stats(s)))
        .onCommand(GetDeadLetters.class, this::onGetDeadLetters)
        .onCommand(PurgeDeadLetters.class, this::onPurge)
        .onCommand(RedriveDeadLetters.class, this::onRedrive)
        .onCommand(ExpireClaims.class, this::onExpireClaims)
        .build();
  }

  // enqueue and claim are the hot path: DEBUG only, like accepted orders (the journal and the metrics count them)
  private ReplyEffect<Event, State> enqueue(State state, List<NewJob> jobs, ActorRef<Reply> replyTo) {
    List<NewJob> fresh = new ArrayList<>(jobs.size());
    Set<String> accepted = new LinkedHashSet<>();
    List<String> duplicates = new ArrayList<>(0);
    for (NewJob job : jobs) {
      // a repeated id inside one batch is a duplicate of its first occurrence
      if (!state.knows(job.jobId()) && accepted.add(job.jobId())) fresh.add(job);
      else duplicates.add(job.jobId());
    }
    Enqueued reply = new Enqueued(List.copyOf(accepted), List.copyOf(duplicates));
    if (fresh.isEmpty()) return Effect().reply(replyTo, reply);
    if (state.depth() + fresh.size() > settings.maxDepth()) return full(state, replyTo);
    return Effect().persist(new JobsEnqueued(List.copyOf(fresh), clock.instant())).thenRun(next -> {
      Metrics.QUEUE_ENQUEUED.withTag("queue", settings.name()).increment(fresh.size());
      ctx.getLog().debug("event=queue_enqueued queue={} jobs={} duplicates={}", settings.name(), fresh.size(), duplicates.size());
      updateGauges(next);
    }).thenReply(replyTo, next -> reply);
  }

  private ReplyEffect<Event, State> onClaim(State state, Claim claim) {
    List<String> ids = state.nextReady(claim.strategies(), claim.max());
    if (ids.isEmpty()) return Effect().reply(claim.replyTo(), new Claimed(List.of()));
    JobsClaimed claimed = new JobsClaimed(List.copyOf(ids), UUID.randomUUID().toString(), clock.instant().plus(claim.visibility()));
    return Effect().persist(claimed).thenRun(next -> {
      long redeliveries = ids.stream().filter(id -> next.inFlight().get(id).job().deliveries() > 1).count();
      if (redeliveries > 0) Metrics.QUEUE_REDELIVERIES.withTag("queue", settings.name()).increment(redeliveries);
      ctx.getLog().debug("event=queue_claimed queue={} jobs={} redeliveries={} claim={} deadline={}", settings.name(), ids.size(), redeliveries,
          claimed.claimToken(), claimed.deadline());
      updateGauges(next);
    }).thenReply(claim.replyTo(), next -> new Claimed(ids.stream().map(id -> {
      InFlight f = next.inFlight().get(id);
      return new ClaimedJob(id, f.job().data(), f.claimToken(), f.job().deliveries(), f.deadline(), f.job().enqueuedAt());
    }).toList()));
  }

  private ReplyEffect<Event, State> onAck(State state, Ack ack) {
    if (!holds(state, ack.jobId(), ack.claimToken(), ack.strategies())) return Effect().reply(ack.replyTo(), notHeld(state, ack.jobId(), ack.strategies()));
    return Effect().persist(new JobAcked(ack.jobId())).thenRun(next -> {
      Metrics.QUEUE_PROCESSED.withTag("queue", settings.name()).withTag("outcome", "acked").increment();
      updateGauges(next);
    }).thenReply(ack.replyTo(), next -> new Acked(ack.jobId()));
  }

  private ReplyEffect<Event, State> onAckBatch(State state, AckBatch batch) {
    Set<String> acked = new LinkedHashSet<>();
    List<String> notHeld = new ArrayList<>(0);
    for (Acknowledgement a : batch.acks()) {
      if (!holds(state, a.jobId(), a.claimToken(), null) || !acked.add(a.jobId())) notHeld.add(a.jobId());
    }
    AckedBatch reply = new AckedBatch(List.copyOf(acked), List.copyOf(notHeld));
    if (acked.isEmpty()) return Effect().reply(batch.replyTo(), reply);
    return Effect().persist(new JobsAcked(reply.acked())).thenRun(next -> {
      Metrics.QUEUE_PROCESSED.withTag("queue", settings.name()).withTag("outcome", "acked").increment(acked.size());
      updateGauges(next);
    }).thenReply(batch.replyTo(), next -> reply);
  }

  private ReplyEffect<Event, State> onNack(State state, Nack nack) {
    if (!holds(state, nack.jobId(), nack.claimToken(), nack.strategies())) {
      return Effect().reply(nack.replyTo(), notHeld(state, nack.jobId(), nack.strategies()));
    }
    List<Event> events = fail(state, List.of(new Failure(nack.jobId(), nack.error())));
    boolean dead = events.get(0) instanceof JobsDeadLettered;
    return Effect().persist(events).thenRun(next -> afterFailures(next, events))
        .thenReply(nack.replyTo(), next -> new Nacked(nack.jobId(), dead));
  }

  private ReplyEffect<Event, State> onDeadLetter(State state, DeadLetter c) {
    if (!holds(state, c.jobId(), c.claimToken(), null)) return Effect().reply(c.replyTo(), notHeld(state, c.jobId(), null));
    List<Failure> dead = List.of(new Failure(c.jobId(), c.error()));
    List<Event> events = withRetention(state, new ArrayList<>(List.of(new JobsDeadLettered(dead, clock.instant()))), dead);
    return Effect().persist(events).thenRun(next -> afterFailures(next, events))
        .thenReply(c.replyTo(), next -> new Nacked(c.jobId(), true));
  }

  private ReplyEffect<Event, State> onExpireClaims(State state, ExpireClaims tick) {
    Instant now = clock.instant();
    List<Failure> expired = new ArrayList<>(0);
    for (InFlight f : state.inFlight().values()) if (!f.deadline().isAfter(now)) expired.add(new Failure(f.job().jobId(), EXPIRED));
    if (expired.isEmpty()) {
      // the lag grows while nothing happens: the tick keeps the gauge true
      updateGauges(state);
      return Effect().noReply();
    }
    List<Event> events = fail(state, expired);
    return Effect().persist(events).thenRun(next -> afterFailures(next, events)).thenNoReply();
  }

  /** Splits failed jobs into released (deliveries left) and dead-lettered (none left): one event each, non-empty only. */
  private List<Event> fail(State state, List<Failure> failures) {
    List<Failure> released = new ArrayList<>(failures.size());
    List<Failure> dead = new ArrayList<>(0);
    for (Failure f : failures) {
      if (state.inFlight().get(f.jobId()).job().deliveries() >= settings.maxDeliveries()) dead.add(f);
      else released.add(f);
    }
    List<Event> events = new ArrayList<>(3);
    if (!released.isEmpty()) events.add(new JobsReleased(List.copyOf(released)));
    if (!dead.isEmpty()) events.add(new JobsDeadLettered(List.copyOf(dead), clock.instant()));
    return withRetention(state, events, dead);
  }

  /** Appends the drop of the oldest dead letters when the arriving ones would pass max-dead-letters. */
  private List<Event> withRetention(State state, List<Event> events, List<Failure> arriving) {
    List<String> dropped = state.overflow(arriving, settings.maxDeadLetters());
    if (!dropped.isEmpty()) events.add(new DeadLettersDropped(List.copyOf(dropped)));
    return events;
  }

  private ReplyEffect<Event, State> onGetDeadLetters(State state, GetDeadLetters c) {
    List<Job> page = state.deadLetterPage(c.strategies(), c.after(), c.limit());
    DeadLetterKey next = null;
    if (page.size() > c.limit()) {
      page = page.subList(0, c.limit());
      next = page.get(page.size() - 1).key();
    }
    return Effect().reply(c.replyTo(), new DeadLetters(List.copyOf(page), state.deadLetterCount(c.strategies()), next));
  }

  private ReplyEffect<Event, State> onPurge(State state, PurgeDeadLetters c) {
    List<String> notFound = new ArrayList<>(0);
    List<String> ids = state.select(c.selection(), notFound);
    DeadLettersChanged reply = new DeadLettersChanged(List.copyOf(ids), List.copyOf(notFound));
    if (ids.isEmpty()) return Effect().reply(c.replyTo(), reply);
    return Effect().persist(new DeadLettersPurged(reply.changed())).thenRun(next -> {
      ctx.getLog().info("event=queue_dead_letters_purged queue={} jobs={} strategy={} byIds={}", settings.name(), ids.size(),
          c.selection().strategy(), c.selection().jobIds() != null);
      updateGauges(next);
    }).thenReply(c.replyTo(), next -> reply);
  }

  private ReplyEffect<Event, State> onRedrive(State state, RedriveDeadLetters c) {
    List<String> notFound = new ArrayList<>(0);
    List<String> ids = state.select(c.selection(), notFound);
    DeadLettersChanged reply = new DeadLettersChanged(List.copyOf(ids), List.copyOf(notFound));
    if (ids.isEmpty()) return Effect().reply(c.replyTo(), reply);
    if (state.depth() + ids.size() > settings.maxDepth()) return full(state, c.replyTo());
    return Effect().persist(new DeadLettersRedriven(reply.changed())).thenRun(next -> {
      ctx.getLog().info("event=queue_dead_letters_redriven queue={} jobs={} strategy={} byIds={}", settings.name(), ids.size(),
          c.selection().strategy(), c.selection().jobIds() != null);
      updateGauges(next);
    }).thenReply(c.replyTo(), next -> reply);
  }

  private ReplyEffect<Event, State> full(State state, ActorRef<Reply> replyTo) {
    ctx.getLog().info("event=queue_full queue={} depth={} maxDepth={}", settings.name(), state.depth(), settings.maxDepth());
    return Effect().reply(replyTo, new QueueFull(state.depth(), settings.maxDepth()));
  }

  private void afterFailures(State next, List<Event> events) {
    for (Event e : events) {
      if (e instanceof JobsReleased r) {
        for (Failure f : r.jobs()) ctx.getLog().info("event=queue_job_released queue={} jobId={} error=\"{}\"", settings.name(), f.jobId(), f.error());
      } else if (e instanceof DeadLettersDropped d) {
        Metrics.QUEUE_DEAD_LETTERS_DROPPED.withTag("queue", settings.name()).increment(d.jobIds().size());
        ctx.getLog().warn("event=queue_dead_letters_dropped queue={} jobs={} maxDeadLetters={} oldest={}", settings.name(), d.jobIds().size(),
            settings.maxDeadLetters(), d.jobIds().get(0));
      } else if (e instanceof JobsDeadLettered d) {
        Metrics.QUEUE_DEAD_LETTERS.withTag("queue", settings.name()).increment(d.jobs().size());
        Metrics.QUEUE_PROCESSED.withTag("queue", settings.name()).withTag("outcome", "dead_lettered").increment(d.jobs().size());
        for (Failure f : d.jobs()) {
          ctx.getLog().warn("event=queue_job_dead_lettered queue={} jobId={} error=\"{}\"", settings.name(), f.jobId(), f.error());
        }
      }
    }
    updateGauges(next);
  }

  private static boolean holds(State state, String jobId, String claimToken, Set<String> strategies) {
    InFlight f = state.inFlight().get(jobId);
    return f != null && f.claimToken().equals(claimToken) && f.job().within(strategies);
  }

  /** Another strategy's job gets the answer an unknown one gets. */
  private static Reply notHeld(State state, String jobId, Set<String> strategies) {
    return state.visible(jobId, strategies) != null ? new ClaimNotHeld(jobId) : new UnknownJob(jobId);
  }

  private Stats stats(State s) {
    return new Stats(s.ready().size(), s.inFlight().size(), s.deadLetters().size(), s.oldestReadyAgeSeconds(clock.instant()));
  }

  private void updateGauges(State s) {
    Metrics.QUEUE_IN_FLIGHT.withTag("queue", settings.name()).update(s.inFlight().size());
    Metrics.QUEUE_LAG.withTag("queue", settings.name()).update(s.oldestReadyAgeSeconds(clock.instant()));
  }

  // ---- events ----

  /** The dedupe window is the one setting an event handler reads: it only decides which old ids are forgotten. */
  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(JobsEnqueued.class, (s, e) -> s.live().enqueued(e, settings.dedupeWindow()))
        .onEvent(JobsClaimed.class, (s, e) -> s.live().claimed(e))
        .onEvent(JobAcked.class, (s, e) -> s.live().acked(List.of(e.jobId())))
        .onEvent(JobsAcked.class, (s, e) -> s.live().acked(e.jobIds()))
        .onEvent(JobsReleased.class, (s, e) -> s.live().released(e))
        .onEvent(JobsDeadLettered.class, (s, e) -> s.live().deadLettered(e))
        .onEvent(DeadLettersPurged.class, (s, e) -> s.live().removedDead(e.jobIds()))
        .onEvent(DeadLettersDropped.class, (s, e) -> s.live().removedDead(e.jobIds()))
        .onEvent(DeadLettersRedriven.class, (s, e) -> s.live().redriven(e))
        .build();
  }

  /** The journal id of the queue called {@code name}. */
  public static PersistenceId persistenceId(String name) {
    return PersistenceId.of(ENTITY_TYPE, name);
  }
}
