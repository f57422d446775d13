package io.sparkexec.batch;

import com.typesafe.config.Config;
import io.sparkexec.CborSerializable;
import io.sparkexec.metrics.Metrics;
import io.sparkexec.venue.Venue;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import kamon.metric.Counter;
import kamon.metric.Histogram;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * One per symbol. A desk's batch of orders goes into a bounded queue; a stream sends them to the
 * venue in micro-batches ({@link MicroBatchSink}) with bounded parallelism, so a desk's batch
 * normally leaves as one venue call, and the call's outcomes go back to the replyTo as one
 * message. The venue's reply types pass through unchanged.
 */
public final class Batcher {

  public sealed interface Command {}

  public record SubmitBatch(List<Venue.VenueOrder> orders, ActorRef<Outcomes> replyTo) implements Command {}

  /** What became of the orders of one venue call (one result per order); sentAt is when the call left. */
  public record Outcomes(Instant sentAt, List<Venue.SubmitResult> results) implements CborSerializable {}

  public record Settings(boolean enabled, int maxSize, Duration flush, int parallelism, int queueSize) {
    public static Settings fromConfig(Config batch) {
      return new Settings(
          batch.getBoolean("enabled"),
          batch.getInt("max-size"),
          Duration.ofMillis(batch.getLong("flush-ms")),
          batch.getInt("parallelism"),
          batch.getInt("queue-size"));
    }
  }

  private record Pending(Venue.VenueOrder order, ActorRef<Outcomes> replyTo, long enqueuedAtNanos) {}

  public static Behavior<Command> create(String symbol, Venue venue, Settings settings) {
    return Behaviors.setup(ctx -> new Batcher(ctx, symbol, venue, settings).behavior());
  }

  private final String symbol;
  private final Venue venue;
  private final BoundedSourceQueue<List<Pending>> queue;
  // orders queued and not yet sent: the queue bound counts orders, not chunks
  private final AtomicInteger queued = new AtomicInteger();
  private final int queueSize;
  private final Histogram batchSize;
  private final Histogram queueWait;
  private final Counter flushes;

  private Batcher(ActorContext<Command> ctx, String symbol, Venue venue, Settings settings) {
    this.symbol = symbol;
    this.venue = venue;
    this.queueSize = settings.queueSize();
    this.batchSize = Metrics.BATCH_SIZE.withTag("symbol", symbol);
    this.queueWait = Metrics.BATCH_LATENCY.withTag("symbol", symbol);
    this.flushes = Metrics.BATCH_FLUSHES.withTag("symbol", symbol);
    int maxSize = settings.enabled() ? settings.maxSize() : 1;
    Duration linger = settings.enabled() ? settings.flush() : Duration.ZERO;
    this.queue =
        Source.<List<Pending>>queue(settings.queueSize())
            .to(Sink.fromGraph(new MicroBatchSink<>(maxSize, linger, settings.parallelism(), Pending::enqueuedAtNanos, this::dispatch)))
            .run(ctx.getSystem());
    ctx.getLog().info("event=batcher_started symbol={} enabled={} maxSize={} flushMs={} parallelism={}",
        symbol, settings.enabled(), maxSize, linger.toMillis(), settings.parallelism());
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(SubmitBatch.class, this::onSubmit)
        .onSignal(org.apache.pekko.actor.typed.PostStop.class, signal -> {
          queue.complete();
          return Behaviors.same();
        })
        .build();
  }

  /** The desk's batch goes into the queue as one chunk, so the sink sends it as one venue call. */
  private Behavior<Command> onSubmit(SubmitBatch submit) {
    long now = System.nanoTime();
    int n = submit.orders().size();
    List<Pending> chunk = new ArrayList<>(n);
    for (Venue.VenueOrder order : submit.orders()) chunk.add(new Pending(order, submit.replyTo(), now));
    if (queued.addAndGet(n) > queueSize || queue.offer(chunk) != QueueOfferResult.enqueued()) {
      queued.addAndGet(-n);
      // the HTTP in-flight bound keeps this from happening; if it does, the orders go in doubt and are checked
      List<Venue.SubmitResult> refused = new ArrayList<>(n);
      for (Venue.VenueOrder order : submit.orders()) refused.add(new Venue.Unknown(order.clientOrderId(), "batcher queue full for " + symbol));
      submit.replyTo().tell(new Outcomes(Instant.now(), refused));
    }
    return Behaviors.same();
  }

  private CompletionStage<?> dispatch(List<Pending> batch) {
    long now = System.nanoTime();
    Instant sentAt = Instant.now();
    List<Venue.VenueOrder> orders = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      orders.add(p.order());
      queueWait.record(now - p.enqueuedAtNanos());
    }
    queued.addAndGet(-batch.size());
    batchSize.record(batch.size());
    flushes.increment();
    return venue.submit(orders).whenComplete((results, error) -> {
      // one message per replyTo: in practice the whole batch is one desk's
      ActorRef<Outcomes> to = null;
      List<Venue.SubmitResult> answers = new ArrayList<>(batch.size());
      for (int i = 0; i < batch.size(); i++) {
        Pending p = batch.get(i);
        if (to != null && !to.equals(p.replyTo())) {
          to.tell(new Outcomes(sentAt, answers));
          answers = new ArrayList<>();
        }
        to = p.replyTo();
        answers.add(error == null && results.size() == batch.size()
            ? results.get(i)
            : new Venue.Unknown(p.order().clientOrderId(), error == null ? "venue answered " + results.size() + " results for " + batch.size() : String.valueOf(error)));
      }
      if (to != null) to.tell(new Outcomes(sentAt, answers));
    });
  }
}
