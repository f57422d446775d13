package io.sparkexec.order;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.NoOffset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByTagQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start-up scan: folds the journal's order tag stream into the set of orders that were not
 * final when the process stopped, seeds the open-orders read side with them, and starts each
 * one's entity, which drives it on (see {@link OrderEntity}). Only open orders are held in
 * memory while scanning. Chosen over remember-entities because it adds no write to the hot path.
 */
public final class OrderRecovery {

  private static final Logger log = LoggerFactory.getLogger(OrderRecovery.class);

  /** {@code openOrderIds}: what restart reconciliation checks with the venue next. */
  public record Result(long eventsScanned, int openOrders, List<String> openOrderIds, Duration took) {}

  private OrderRecovery() {}

  public static CompletionStage<Result> run(ActorSystem<?> system, String readJournalId, ActorRef<OpenOrders.Command> openOrders,
      long progressEvery, Duration askTimeout) {
    long started = System.nanoTime();
    CurrentEventsByTagQuery query;
    try {
      query = PersistenceQuery.get(system).getReadJournalFor(CurrentEventsByTagQuery.class, readJournalId);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    ClusterSharding sharding = ClusterSharding.get(system);
    Map<String, Order> open = new HashMap<>();
    long[] scanned = {0};
    log.info("event=order_recovery_started readJournal={}", readJournalId);
    return query.currentEventsByTag(OrderEntity.TAG, NoOffset.getInstance())
        .runForeach(env -> {
          fold(open, env);
          if (++scanned[0] % progressEvery == 0) {
            log.info("event=order_recovery_progress eventsScanned={} openOrders={}", scanned[0], open.size());
          }
        }, system)
        .thenCompose(done -> {
          open.values().forEach(o -> openOrders.tell(new OpenOrders.Upsert(o)));
          return Source.from(open.keySet())
              .mapAsyncUnordered(8, id -> sharding.entityRefFor(OrderEntity.ENTITY_KEY, id).ask(OrderEntity.Get::new, askTimeout))
              .runWith(Sink.ignore(), system);
        })
        .thenApply(done -> {
          Result result = new Result(scanned[0], open.size(), List.copyOf(open.keySet()), Duration.ofNanos(System.nanoTime() - started));
          log.info("event=order_recovery_done eventsScanned={} openOrders={} tookMs={}", result.eventsScanned(), result.openOrders(),
              result.took().toMillis());
          return result;
        });
  }

  private static void fold(Map<String, Order> open, EventEnvelope env) {
    if (!(env.event() instanceof OrderEntity.Event event)) return;
    if (event instanceof OrderEntity.OrderAccepted accepted) {
      open.put(accepted.clientOrderId(), Order.accepted(accepted));
      return;
    }
    String id = env.persistenceId().substring(env.persistenceId().indexOf('|') + 1);
    Order order = open.get(id);
    if (order == null) return;
    Order next = order.apply(event);
    if (next.status().isFinal()) open.remove(id);
    else open.put(id, next);
  }
}
