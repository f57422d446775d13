package io.sparkexec.feed;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkexec.http.Json;
import io.sparkexec.journal.TagHeadQuery;
import io.sparkexec.order.OrderDesk;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.NoOffset;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByTagQuery;
import org.apache.pekko.persistence.query.javadsl.EventsByTagQuery;
import org.apache.pekko.persistence.query.javadsl.ReadJournal;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The orders channel's source: the read journal's {@code order} tag stream. One
 * {@code eventsByTag} stream per subscriber from the given offset covers replay and live with one
 * numbering, so a client resuming with {@code from=} sees no seam.
 *
 * <p>Every event carries its order's strategy, which the feed needs to scope it, but events
 * journaled before they did have it on {@code OrderAccepted} only. For those the strategy comes
 * from a bounded clientOrderId cache shared by all subscribers; on a miss (an order accepted
 * before the replayed range, or evicted) it is asked of {@code strategyOf} (the order room's
 * index of every order).
 */
public final class JournalOrderEvents implements OrderEventSource {

  /** Enough for every order open or recently active; a miss costs one index lookup. */
  static final int STRATEGY_CACHE_SIZE = 100_000;

  private final EventsByTagQuery byTag;
  private final CurrentEventsByTagQuery currentByTag;
  private final TagHeadQuery tagHead;
  private final Function<String, String> strategyOf;
  private final Map<String, String> strategies = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
      return size() > STRATEGY_CACHE_SIZE;
    }
  };

  /**
   * {@code readJournalId}: the plugin of {@code spark.orders.read-journal}; it must answer tag queries.
   * {@code strategyOf}: the strategy of any order by clientOrderId, or null.
   */
  public JournalOrderEvents(ActorSystem<?> system, String readJournalId, Function<String, String> strategyOf) {
    ReadJournal journal = PersistenceQuery.get(system).getReadJournalFor(ReadJournal.class, readJournalId);
    if (!(journal instanceof EventsByTagQuery t && journal instanceof CurrentEventsByTagQuery ct)) {
      throw new IllegalStateException("read journal " + readJournalId + " must support eventsByTag and currentEventsByTag");
    }
    this.byTag = t;
    this.currentByTag = ct;
    this.tagHead = journal instanceof TagHeadQuery h ? h : null;
    this.strategyOf = strategyOf;
  }

  @Override
  public Source<Sequenced, NotUsed> after(long afterSeq) {
    // live only: our journal names the tag's head from a counter; another read journal is read once to find it
    Source<Long, NotUsed> start = afterSeq >= 0 ? Source.single(afterSeq)
        : tagHead != null ? tagHead.tagHead(OrderDesk.TAG)
        : currentByTag.currentEventsByTag(OrderDesk.TAG, NoOffset.getInstance()).fold(0L, (head, e) -> seq(e));
    return start.flatMapConcat(from -> byTag.eventsByTag(OrderDesk.TAG, Offset.sequence(from)))
        .filter(e -> e.event() instanceof OrderDesk.Event)
        .map(e -> {
          OrderDesk.Event event = (OrderDesk.Event) e.event();
          String strategy = strategyOf(event);
          return new Sequenced(seq(e), strategy, json(event, strategy));
        });
  }

  private static long seq(EventEnvelope e) {
    return ((Sequence) e.offset()).value();
  }

  /** Null when the order is unknown to the index too: such events go to unscoped clients only. */
  private String strategyOf(OrderDesk.Event e) {
    String id = e.clientOrderId();
    if (e instanceof OrderDesk.OrderAccepted || e.strategy() != null) return remember(id, e.strategy());
    String cached;
    synchronized (strategies) {
      cached = strategies.get(id);
    }
    if (cached != null) return cached;
    String known = strategyOf.apply(id);
    return known == null ? null : remember(id, known);
  }

  private String remember(String clientOrderId, String strategy) {
    if (strategy == null) return null;
    synchronized (strategies) {
      strategies.put(clientOrderId, strategy);
    }
    return strategy;
  }

  /**
   * {"eventType":"OrderFilled","clientOrderId":"...","strategy":"...", ...the event's own fields}; not "type", which
   * OrderAccepted uses for the order type. OrderAccepted's spec is spread into the top level, as the channel always had it.
   */
  static String json(OrderDesk.Event e, String strategy) {
    ObjectNode node = Json.MAPPER.createObjectNode();
    node.put("eventType", e.getClass().getSimpleName());
    node.put("clientOrderId", e.clientOrderId());
    node.put("strategy", strategy);
    ObjectNode fields = (ObjectNode) Json.MAPPER.valueToTree(e);
    fields.remove("strategy");
    if (fields.remove("spec") instanceof ObjectNode spec) {
      spec.remove("strategy");
      node.setAll(spec);
    }
    node.setAll(fields);
    return node.toString();
  }
}
