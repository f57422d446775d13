package io.sparkexec.queue;

import com.fasterxml.jackson.annotation.JsonCreator;
import io.sparkexec.CborSerializable;
import io.sparkexec.metrics.Metrics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
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

  public record Claim(int max, Duration visibility, ActorRef<Reply> replyTo) implements Command {}

  public record Ack(String jobId, String claimToken, ActorRef<Reply> replyTo) implements Command {}

  /** One job's ack within {@link AckBatch}. */
  public record Acknowledgement(String jobId, String claimToken) implements CborSerializable {}

  /** Acks many jobs in one journal write: the consumer's throughput path. */
  public record AckBatch(List<Acknowledgement> acks, ActorRef<Reply> replyTo) implements Command {}

  public record Nack(String jobId, String claimToken, String error, ActorRef<Reply> replyTo) implements Command {}

  /** A failure no retry can mend (the consumer says why): to the dead letters now, whatever deliveries are left. */
  public record DeadLetter(String jobId, String claimToken, String error, ActorRef<Reply> replyTo) implements Command {}

  public record GetStats(ActorRef<Reply> replyTo) implements Command {}

  public record GetDeadLetters(ActorRef<Reply> replyTo) implements Command {}

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

  /** The job is not in flight under this claim token (acked already, expired and reclaimed, or unknown). */
  public record ClaimNotHeld(String jobId) implements Reply {}

  public record Stats(int ready, int inFlight, int deadLettered, long oldestReadyAgeSeconds) implements Reply {}

  public record DeadLetters(List<Job> jobs) implements Reply {}

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

  /** {@code deliveries}: claims so far; {@code lastError}: of the last nack or expiry (null before). */
  public record Job(String jobId, String data, Instant enqueuedAt, int deliveries, String lastError) implements CborSerializable {
    Job delivered() {
      return new Job(jobId, data, enqueuedAt, deliveries + 1, lastError);
    }

    Job failed(String error) {
      return new Job(jobId, data, enqueuedAt, deliveries, error);
    }
  }

  public record InFlight(Job job, String claimToken, Instant deadline) implements CborSerializable {}

  /**
   * The live queue: changed in place by the event handlers only, read by the command handlers.
   * Insertion order is meaning: {@code ready} is the delivery line, {@code inFlight} the claim
   * order (the expiry scan's), {@code recentIds} the dedupe window (oldest evicted first). Its
   * serialized form is these four collections, the immutable record it replaced, so snapshots
   * written before still load.
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
    // the ready jobs no later ready job is older than, in line order: the first is the oldest ready job
    private final transient ArrayDeque<Job> oldestReady = new ArrayDeque<>();

    @JsonCreator
    private State(Map<String, Job> ready, Map<String, InFlight> inFlight, Map<String, Job> deadLetters, Collection<String> recentIds) {
      ready.values().forEach(this::toReady);
      this.inFlight.putAll(inFlight);
      this.deadLetters.putAll(deadLetters);
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

    long oldestReadyAgeSeconds(Instant now) {
      Job oldest = oldestReady.peekFirst();
      return oldest == null ? 0 : Math.max(0, Duration.between(oldest.enqueuedAt(), now).toSeconds());
    }

    State enqueued(JobsEnqueued e, int dedupeWindow) {
      for (NewJob j : e.jobs()) {
        toReady(new Job(j.jobId(), j.data(), e.at(), 0, null));
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
      for (Failure f : e.jobs()) deadLetters.put(f.jobId(), inFlight.remove(f.jobId()).job().failed(f.error()));
      return this;
    }

    /** To the back of the line; the jobs there that are younger than it can no longer be the oldest. */
    private void toReady(Job job) {
      ready.put(job.jobId(), job);
      while (!oldestReady.isEmpty() && oldestReady.peekLast().enqueuedAt().isAfter(job.enqueuedAt())) oldestReady.pollLast();
      oldestReady.addLast(job);
    }

    /** Claims take jobs from the front of the line, where the oldest-ready line starts too. */
    private Job fromReady(String jobId) {
      Job job = ready.remove(jobId);
      if (oldestReady.peekFirst() == job) oldestReady.pollFirst();
      return job;
    }

    /** Equal collections in equal order (the derived oldest-ready line follows from the ready line). */
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

  public record Settings(String name, Duration visibility, int maxDeliveries, int dedupeWindow, int snapshotEvery, int maxInFlight,
      int maxBatch, Duration tick, Duration askTimeout) {
    public static Settings fromConfig(com.typesafe.config.Config queue) {
      return new Settings(queue.getString("name"), queue.getDuration("visibility"), queue.getInt("max-deliveries"),
          queue.getInt("dedupe-window"), queue.getInt("snapshot-every"), queue.getInt("max-in-flight"), queue.getInt("max-batch"),
          queue.getDuration("tick"), queue.getDuration("ask-timeout"));
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
        .onCommand(GetDeadLetters.class, (s, c) -> Effect().reply(c.replyTo(), new DeadLetters(List.copyOf(s.deadLetters().values()))))
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
    return Effect().persist(new JobsEnqueued(List.copyOf(fresh), clock.instant())).thenRun(next -> {
      Metrics.QUEUE_ENQUEUED.withTag("queue", settings.name()).increment(fresh.size());
      ctx.getLog().debug("event=queue_enqueued queue={} jobs={} duplicates={}", settings.name(), fresh.size(), duplicates.size());
      updateGauges(next);
    }).thenReply(replyTo, next -> reply);
  }

  private ReplyEffect<Event, State> onClaim(State state, Claim claim) {
    List<String> ids = new ArrayList<>(Math.min(claim.max(), state.ready().size()));
    for (Iterator<String> it = state.ready().keySet().iterator(); it.hasNext() && ids.size() < claim.max(); ) ids.add(it.next());
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
    if (!holds(state, ack.jobId(), ack.claimToken())) return Effect().reply(ack.replyTo(), new ClaimNotHeld(ack.jobId()));
    return Effect().persist(new JobAcked(ack.jobId())).thenRun(next -> {
      Metrics.QUEUE_PROCESSED.withTag("queue", settings.name()).withTag("outcome", "acked").increment();
      updateGauges(next);
    }).thenReply(ack.replyTo(), next -> new Acked(ack.jobId()));
  }

  private ReplyEffect<Event, State> onAckBatch(State state, AckBatch batch) {
    Set<String> acked = new LinkedHashSet<>();
    List<String> notHeld = new ArrayList<>(0);
    for (Acknowledgement a : batch.acks()) {
      if (!holds(state, a.jobId(), a.claimToken()) || !acked.add(a.jobId())) notHeld.add(a.jobId());
    }
    AckedBatch reply = new AckedBatch(List.copyOf(acked), List.copyOf(notHeld));
    if (acked.isEmpty()) return Effect().reply(batch.replyTo(), reply);
    return Effect().persist(new JobsAcked(reply.acked())).thenRun(next -> {
      Metrics.QUEUE_PROCESSED.withTag("queue", settings.name()).withTag("outcome", "acked").increment(acked.size());
      updateGauges(next);
    }).thenReply(batch.replyTo(), next -> reply);
  }

  private ReplyEffect<Event, State> onNack(State state, Nack nack) {
    if (!holds(state, nack.jobId(), nack.claimToken())) return Effect().reply(nack.replyTo(), new ClaimNotHeld(nack.jobId()));
    Event event = fail(state, List.of(new Failure(nack.jobId(), nack.error()))).get(0);
    boolean dead = event instanceof JobsDeadLettered;
    return Effect().persist(event).thenRun(next -> afterFailures(next, List.of(event)))
        .thenReply(nack.replyTo(), next -> new Nacked(nack.jobId(), dead));
  }

  private ReplyEffect<Event, State> onDeadLetter(State state, DeadLetter c) {
    if (!holds(state, c.jobId(), c.claimToken())) return Effect().reply(c.replyTo(), new ClaimNotHeld(c.jobId()));
    Event event = new JobsDeadLettered(List.of(new Failure(c.jobId(), c.error())), clock.instant());
    return Effect().persist(event).thenRun(next -> afterFailures(next, List.of(event)))
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
    List<Event> events = new ArrayList<>(2);
    if (!released.isEmpty()) events.add(new JobsReleased(List.copyOf(released)));
    if (!dead.isEmpty()) events.add(new JobsDeadLettered(List.copyOf(dead), clock.instant()));
    return events;
  }

  private void afterFailures(State next, List<Event> events) {
    for (Event e : events) {
      if (e instanceof JobsReleased r) {
        for (Failure f : r.jobs()) ctx.getLog().info("event=queue_job_released queue={} jobId={} error=\"{}\"", settings.name(), f.jobId(), f.error());
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

  private static boolean holds(State state, String jobId, String claimToken) {
    InFlight f = state.inFlight().get(jobId);
    return f != null && f.claimToken().equals(claimToken);
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
        .build();
  }

  /** The journal id of the queue called {@code name}. */
  public static PersistenceId persistenceId(String name) {
    return PersistenceId.of(ENTITY_TYPE, name);
  }
}
