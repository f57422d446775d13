package io.sparkexec.feed;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkexec.http.Json;
import io.sparkexec.journal.TagHeadQuery;
import io.sparkexec.order.OrderEntity;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.NoOffset;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByTagQuery;
import org.apache.pekko.persistence.query.javadsl.EventsByTagQuery;
import org.apache.pekko.persistence.query.javadsl.ReadJournal;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The orders channel's source: the read journal's {@code order} tag stream. One
 * {@code eventsByTag} stream per subscriber from the given offset covers replay and live with one
 * numbering, so a client resuming with {@code from=} sees no seam.
 *
 * <p>Only {@code OrderAccepted} carries the strategy, which the feed needs to scope every event.
 * The strategy of later events comes from a bounded clientOrderId cache shared by all
 * subscribers; on a miss (an order accepted before the replayed range, or evicted) it is read from
 * the order's first journaled event, its {@code OrderAccepted}.
 */
public final class JournalOrderEvents implements OrderEventSource {

  /** Enough for every order open or recently active; a miss costs one read of the order's first event. */
  static final int STRATEGY_CACHE_SIZE = 100_000;

  private final EventsByTagQuery byTag;
  private final CurrentEventsByTagQuery currentByTag;
  private final CurrentEventsByPersistenceIdQuery currentById;
  private final TagHeadQuery tagHead;
  private final Materializer materializer;
  private final Map<String, String> strategies = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
      return size() > STRATEGY_CACHE_SIZE;
    }
  };

  /** {@code readJournalId}: the plugin of {@code spark.orders.read-journal}; it must answer tag and per-order queries. */
  public JournalOrderEvents(ActorSystem<?> system, String readJournalId) {
    ReadJournal journal = PersistenceQuery.get(system).getReadJournalFor(ReadJournal.class, readJournalId);
    if (!(journal instanceof EventsByTagQuery t && journal instanceof CurrentEventsByTagQuery ct
        && journal instanceof CurrentEventsByPersistenceIdQuery ci)) {
      throw new IllegalStateException("read journal " + readJournalId + " must support eventsByTag, currentEventsByTag and currentEventsByPersistenceId");
    }
    this.byTag = t;
    this.currentByTag = ct;
    this.currentById = ci;
    this.tagHead = journal instanceof TagHeadQuery h ? h : null;
    this.materializer = Materializer.matFromSystem(system);
  }

  @Override
  public Source<Sequenced, NotUsed> after(long afterSeq) {
    // live only: our journal names the tag's head from a counter; another read journal is read once to find it
    Source<Long, NotUsed> start = afterSeq >= 0 ? Source.single(afterSeq)
        : tagHead != null ? tagHead.tagHead(OrderEntity.TAG)
        : currentByTag.currentEventsByTag(OrderEntity.TAG, NoOffset.getInstance()).fold(0L, (head, e) -> seq(e));
    return start.flatMapConcat(from -> byTag.eventsByTag(OrderEntity.TAG, Offset.sequence(from)))
        .mapAsync(1, e -> strategyOf(e).thenApply(strategy -> new Sequenced(seq(e), strategy, json(e, strategy))));
  }

  private static long seq(EventEnvelope e) {
    return ((Sequence) e.offset()).value();
  }

  private static String clientOrderId(EventEnvelope e) {
    return PersistenceId.extractEntityId(e.persistenceId());
  }

  /** Null when the order's acceptance is no longer in the journal: such events go to unscoped clients only. */
  private CompletionStage<String> strategyOf(EventEnvelope e) {
    String id = clientOrderId(e);
    if (e.event() instanceof OrderEntity.OrderAccepted a) {
      remember(id, a.strategy());
      return CompletableFuture.completedFuture(a.strategy());
    }
    String cached;
    synchronized (strategies) {
      cached = strategies.get(id);
    }
    if (cached != null) return CompletableFuture.completedFuture(cached);
    return currentById.currentEventsByPersistenceId(e.persistenceId(), 1, 1)
        .runWith(Sink.headOption(), materializer)
        .thenApply(first -> first.map(EventEnvelope::event).orElse(null) instanceof OrderEntity.OrderAccepted a ? remember(id, a.strategy()) : null);
  }

  private String remember(String clientOrderId, String strategy) {
    synchronized (strategies) {
      strategies.put(clientOrderId, strategy);
    }
    return strategy;
  }

  /**
   * {"eventType":"OrderFilled","clientOrderId":"...","strategy":"...", ...the event's own fields}; not "type", which
   * OrderAccepted uses for the order type.
   */
  static String json(EventEnvelope e, String strategy) {
    ObjectNode node = Json.MAPPER.createObjectNode();
    node.put("eventType", e.event().getClass().getSimpleName());
    node.put("clientOrderId", clientOrderId(e));
    node.put("strategy", strategy);
    node.setAll((ObjectNode) Json.MAPPER.valueToTree(e.event()));
    return node.toString();
  }
}
