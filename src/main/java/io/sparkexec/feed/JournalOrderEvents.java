package io.sparkexec.feed;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkexec.http.Json;
import io.sparkexec.journal.TagHeadQuery;
import io.sparkexec.order.OrderDesk;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
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
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The orders channel's source: the read journal's {@code order} tag stream, each event decoded
 * and rendered as the channel's message, with the strategy the feed scopes it by.
 */
public final class JournalOrderEvents implements OrderEventSource {

  private final ActorSystem<?> system;
  private final EventsByTagQuery byTag;
  private final CurrentEventsByTagQuery currentByTag;
  private final TagHeadQuery tagHead;
  private final Function<String, String> strategyOf;
  // events above the first head this process read were written by this process, so they carry their strategy
  private final AtomicLong writtenHereAfter = new AtomicLong(Long.MAX_VALUE);

  /**
   * {@code readJournalId}: the plugin of {@code spark.orders.read-journal}; it must answer tag queries.
   * {@code strategyOf}: the strategy of any order by clientOrderId, or null (the order index).
   */
  public JournalOrderEvents(ActorSystem<?> system, String readJournalId, Function<String, String> strategyOf) {
    this(system, readJournalId, null, strategyOf);
  }

  /** {@code tagHead}: where the tag's head is read when the read journal cannot say (null: read the tag once). */
  public JournalOrderEvents(ActorSystem<?> system, String readJournalId, TagHeadQuery tagHead, Function<String, String> strategyOf) {
    ReadJournal journal = PersistenceQuery.get(system).getReadJournalFor(ReadJournal.class, readJournalId);
    if (!(journal instanceof EventsByTagQuery t && journal instanceof CurrentEventsByTagQuery ct)) {
      throw new IllegalStateException("read journal " + readJournalId + " must support eventsByTag and currentEventsByTag");
    }
    this.system = system;
    this.byTag = t;
    this.currentByTag = ct;
    this.tagHead = journal instanceof TagHeadQuery h ? h : tagHead;
    this.strategyOf = strategyOf;
  }

  @Override
  public Source<Sequenced, NotUsed> after(long afterSeq) {
    return byTag.eventsByTag(OrderDesk.TAG, Offset.sequence(afterSeq))
        .filter(e -> e.event() instanceof OrderDesk.Event)
        .map(e -> {
          OrderDesk.Event event = (OrderDesk.Event) e.event();
          long seq = seq(e);
          String strategy = strategy(event, seq);
          return Sequenced.of(seq, strategy, json(event, strategy));
        });
  }

  @Override
  public CompletionStage<Long> head() {
    // our journal names the tag's head from a counter; another read journal is read once to find it
    Source<Long, NotUsed> head = tagHead != null ? tagHead.tagHead(OrderDesk.TAG)
        : currentByTag.currentEventsByTag(OrderDesk.TAG, NoOffset.getInstance()).fold(0L, (last, e) -> seq(e));
    return head.runWith(Sink.head(), system).thenApply(h -> {
      writtenHereAfter.accumulateAndGet(h, Math::min);
      return h;
    });
  }

  private static long seq(EventEnvelope e) {
    return ((Sequence) e.offset()).value();
  }

  /**
   * The event's own strategy. Events journaled before they carried it (by an earlier build) decode with null, as do
   * events of orders with no strategy: only when the event may be that old is the order index asked, which knows
   * every order's strategy (null if the order is gone from it: such events go to unscoped clients only).
   */
  String strategy(OrderDesk.Event e, long seq) {
    if (e.strategy() != null || e instanceof OrderDesk.OrderAccepted || seq > writtenHereAfter.get()) return e.strategy();
    return strategyOf.apply(e.clientOrderId());
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
