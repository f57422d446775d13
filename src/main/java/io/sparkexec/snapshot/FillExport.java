package io.sparkexec.snapshot;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.sparkexec.http.Json;
import io.sparkexec.order.Order;
import io.sparkexec.order.OrderDesk;
import io.sparkexec.queue.DurableQueue;
import io.sparkexec.shadow.ShadowBook;
import io.sparkexec.shadow.ShadowFill;
import io.sparkexec.shadow.ShadowOrder;
import io.sparkexec.venue.Side;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.query.NoOffset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByTagQuery;
import org.apache.pekko.persistence.query.javadsl.ReadJournal;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Every fill in a time range, straight from the journal, for research: real fills from the order
 * tag stream, then shadow fills from the shadow book's events. Streamed: rows leave as they are
 * read, so an export of any size holds only
 * <ul>
 *   <li>one context per order seen and not yet final (symbol, side, strategy, decision price,
 *       times): orders finish within seconds to days, so this is about the open orders, capped at
 *       {@link #CONTEXT_CAP} (least recently touched evicted; a fill of an evicted order reads the
 *       order's first event again), and
 *   <li>the enqueue times of signal jobs enqueued in the range (and {@link #QUEUE_LOOKBACK}
 *       before it), capped at {@link #QUEUE_WAIT_CAP}, for the queue-wait column.
 * </ul>
 */
public final class FillExport {

  /** ~200 bytes each: at most ~40 MB however long the journal. */
  static final int CONTEXT_CAP = 200_000;
  static final int QUEUE_WAIT_CAP = 200_000;
  /** A signal placed in the range may have been enqueued a while before it. */
  static final Duration QUEUE_LOOKBACK = Duration.ofHours(1);

  public enum Format {
    NDJSON("application/x-ndjson"),
    CSV("text/csv");

    public final String mediaType;

    Format(String mediaType) {
      this.mediaType = mediaType;
    }
  }

  /**
   * One fill. {@code kind}: real or shadow. {@code slippageBps}: against the decision price,
   * positive when it cost the taker. {@code placeToAckMs}: arrival to venue ack (shadow: its
   * simulated latency). {@code queueWaitMs}: signal enqueue to arrival at the order room (signals only).
   */
  @JsonPropertyOrder({"kind", "time", "clientOrderId", "tradeId", "symbol", "side", "strategy", "quantity", "decisionPrice", "fillPrice",
      "slippageBps", "placeToAckMs", "queueWaitMs"})
  public record Row(String kind, Instant time, String clientOrderId, String tradeId, String symbol, Side side, String strategy,
      BigDecimal quantity, BigDecimal decisionPrice, BigDecimal fillPrice, BigDecimal slippageBps, Long placeToAckMs, Long queueWaitMs) {}

  public static final String CSV_HEADER =
      "kind,time,clientOrderId,tradeId,symbol,side,strategy,quantity,decisionPrice,fillPrice,slippageBps,placeToAckMs,queueWaitMs\n";

  /** What a fill needs from its order's earlier events. */
  private record Context(String symbol, Side side, String strategy, BigDecimal decisionPrice, Instant receivedAt, Instant acknowledgedAt) {}

  private final ActorSystem<?> system;
  private final CurrentEventsByTagQuery byTag;
  private final CurrentEventsByPersistenceIdQuery byId;
  private final String queuePersistenceId;
  private final Function<String, CompletionStage<Optional<Order>>> orders;

  /** {@code orders}: any order in history by clientOrderId, for fills whose acceptance is long past. */
  public FillExport(ActorSystem<?> system, String readJournalId, String queueName, Function<String, CompletionStage<Optional<Order>>> orders) {
    ReadJournal journal = PersistenceQuery.get(system).getReadJournalFor(ReadJournal.class, readJournalId);
    if (!(journal instanceof CurrentEventsByTagQuery t && journal instanceof CurrentEventsByPersistenceIdQuery i)) {
      throw new IllegalStateException("read journal " + readJournalId + " must support currentEventsByTag and currentEventsByPersistenceId");
    }
    this.system = system;
    this.byTag = t;
    this.byId = i;
    this.queuePersistenceId = DurableQueue.persistenceId(queueName).id();
    this.orders = orders;
  }

  /** Fills with {@code from <= time < to}: real ones in journal order, then shadow ones. */
  public Source<Row, NotUsed> rows(Instant from, Instant to) {
    return Source.completionStage(queueEnqueueTimes(from, to))
        .flatMapConcat(enqueued -> realFills(from, to, enqueued))
        .concat(shadowFills(from, to));
  }

  /** Events read so far, for progress reports. */
  public interface Progress {
    void eventRead();
  }

  private Progress progress = () -> {};

  public FillExport withProgress(Progress progress) {
    this.progress = progress;
    return this;
  }

  private CompletionStage<Map<String, Instant>> queueEnqueueTimes(Instant from, Instant to) {
    Instant since = from.minus(QUEUE_LOOKBACK);
    return byId.currentEventsByPersistenceId(queuePersistenceId, 0, Long.MAX_VALUE)
        .runWith(Sink.fold(new LinkedHashMap<String, Instant>(), (m, env) -> {
          if (env.event() instanceof DurableQueue.JobsEnqueued e && !e.at().isBefore(since) && e.at().isBefore(to)) {
            for (DurableQueue.NewJob j : e.jobs()) {
              m.put(j.jobId(), e.at());
              if (m.size() > QUEUE_WAIT_CAP) m.remove(m.keySet().iterator().next());
            }
          }
          return m;
        }), system)
        .<Map<String, Instant>>thenApply(m -> m);
  }

  private Source<Row, NotUsed> realFills(Instant from, Instant to, Map<String, Instant> enqueued) {
    Map<String, Context> contexts = new LinkedHashMap<>(1024, 0.75f, true);
    return byTag.currentEventsByTag(OrderDesk.TAG, NoOffset.getInstance())
        .mapAsync(1, env -> {
          progress.eventRead();
          if (!(env.event() instanceof OrderDesk.Event event)) return CompletableFuture.completedFuture(List.<Row>of());
          String id = event.clientOrderId();
          Context known = contexts.get(id);
          if (known != null || event instanceof OrderDesk.OrderAccepted || !(event instanceof OrderDesk.OrderFilled
              || event instanceof OrderDesk.OrderAcknowledged)) {
            return CompletableFuture.completedFuture(rowsOf(event, id, contexts, from, to, enqueued));
          }
          // evicted (or accepted before a journal cut): the order index has what its acceptance said
          return orders.apply(id).thenApply(order -> {
            order.ifPresent(o -> contexts.put(id, new Context(o.symbol(), o.side(), o.strategy(), o.decisionPrice(), o.timestamps().received(),
                o.timestamps().acknowledged())));
            return rowsOf(event, id, contexts, from, to, enqueued);
          });
        })
        .mapConcat(rows -> rows);
  }

  private static List<Row> rowsOf(OrderDesk.Event event, String id, Map<String, Context> contexts, Instant from, Instant to,
      Map<String, Instant> enqueued) {
    if (event instanceof OrderDesk.OrderAccepted a) {
      contexts.put(id, new Context(a.spec().symbol(), a.spec().side(), a.spec().strategy(), a.decisionPrice(), a.receivedAt(), null));
      if (contexts.size() > CONTEXT_CAP) contexts.remove(contexts.keySet().iterator().next());
      return List.of();
    }
    Context c = contexts.get(id);
    if (c == null) return List.of();
    if (event instanceof OrderDesk.OrderAcknowledged ack) {
      contexts.put(id, new Context(c.symbol(), c.side(), c.strategy(), c.decisionPrice(), c.receivedAt(), ack.acknowledgedAt()));
      return List.of();
    }
    if (event instanceof OrderDesk.OrderCanceled || event instanceof OrderDesk.OrderRejected || event instanceof OrderDesk.OrderExpired) {
      // fills can trail a cancel at real venues: keep the context a while, it is evicted by the cap
      return List.of();
    }
    if (!(event instanceof OrderDesk.OrderFilled filled)) return List.of();
    var fill = filled.fill();
    if (fill.time().isBefore(from) || !fill.time().isBefore(to)) return List.of();
    Long placeToAck = c.acknowledgedAt() == null || c.receivedAt() == null ? null : Duration.between(c.receivedAt(), c.acknowledgedAt()).toMillis();
    Instant queuedAt = enqueued.get(id);
    Long queueWait = queuedAt == null || c.receivedAt() == null ? null : Math.max(0, Duration.between(queuedAt, c.receivedAt()).toMillis());
    return List.of(new Row("real", fill.time(), id, fill.tradeId(), c.symbol(), c.side(), c.strategy(), fill.quantity(), c.decisionPrice(),
        fill.price(), slippageBps(c.side(), c.decisionPrice(), fill.price()), placeToAck, queueWait));
  }

  private Source<Row, NotUsed> shadowFills(Instant from, Instant to) {
    return byId.currentEventsByPersistenceId(ShadowBook.PERSISTENCE_ID.id(), 0, Long.MAX_VALUE).mapConcat(env -> {
      progress.eventRead();
      if (!(env.event() instanceof ShadowBook.ShadowRecorded r)) return List.<Row>of();
      ShadowOrder o = r.order();
      if (o.at().isBefore(from) || !o.at().isBefore(to)) return List.<Row>of();
      List<Row> rows = new ArrayList<>(o.fills().size());
      int n = 0;
      for (ShadowFill.Fill f : o.fills()) {
        rows.add(new Row("shadow", o.at(), o.clientOrderId(), o.shadowId() + "-" + (++n), o.symbol(), o.side(), o.strategy(), f.quantity(),
            o.decisionPrice(), f.price(), slippageBps(o.side(), o.decisionPrice(), f.price()), o.latencyMs(), null));
      }
      return rows;
    });
  }

  /** Positive when the fill cost the taker: paid above the decision price on a buy, received below on a sell. */
  static BigDecimal slippageBps(Side side, BigDecimal decision, BigDecimal fill) {
    if (decision == null || decision.signum() == 0) return null;
    BigDecimal bps = fill.subtract(decision).multiply(BigDecimal.valueOf(10_000)).divide(decision, 4, RoundingMode.HALF_EVEN);
    return side == Side.SELL ? bps.negate() : bps;
  }

  // ---- encoding ----

  /** Rows as bytes: NDJSON (one JSON object a line) or CSV (header, then one line a row). */
  public static Source<ByteString, NotUsed> encode(Source<Row, NotUsed> rows, Format format) {
    if (format == Format.NDJSON) return rows.map(r -> ByteString.fromArray(Json.bytes(r)).concat(ByteString.fromString("\n")));
    return Source.single(ByteString.fromString(CSV_HEADER)).concat(rows.map(r -> ByteString.fromString(csv(r), StandardCharsets.UTF_8)));
  }

  static String csv(Row r) {
    return String.join(",", r.kind(), String.valueOf(r.time()), quote(r.clientOrderId()), quote(r.tradeId()), r.symbol(), String.valueOf(r.side()),
        quote(r.strategy()), plain(r.quantity()), plain(r.decisionPrice()), plain(r.fillPrice()), plain(r.slippageBps()),
        r.placeToAckMs() == null ? "" : r.placeToAckMs().toString(), r.queueWaitMs() == null ? "" : r.queueWaitMs().toString()) + "\n";
  }

  private static String plain(BigDecimal d) {
    return d == null ? "" : d.toPlainString();
  }

  /** Ids and strategies are restricted alphabets today; quoting keeps a future comma from shifting columns. */
  private static String quote(String s) {
    if (s == null) return "";
    return s.indexOf(',') < 0 && s.indexOf('"') < 0 ? s : "\"" + s.replace("\"", "\"\"") + "\"";
  }
}
