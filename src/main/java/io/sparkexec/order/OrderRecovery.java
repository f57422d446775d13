package io.sparkexec.order;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up: starts every configured symbol's desk, each of which recovers from its last snapshot
 * and the events after it (bounded by its open orders, never by history), and gathers the open
 * orders restart reconciliation checks next. Nothing scans the journal's history.
 */
public final class OrderRecovery {

  private static final Logger log = LoggerFactory.getLogger(OrderRecovery.class);

  /** {@code openOrders}: clientOrderId -> symbol of every order the desks hold open. */
  public record Result(int desks, Map<String, String> openOrders, Duration took) {}

  private OrderRecovery() {}

  public static CompletionStage<Result> run(ActorSystem<?> system, Collection<String> symbols, Duration askTimeout) {
    long started = System.nanoTime();
    ClusterSharding sharding = ClusterSharding.get(system);
    log.info("event=order_recovery_started desks={}", symbols.size());
    return Source.from(symbols)
        .mapAsyncUnordered(Math.max(1, symbols.size()), symbol -> sharding.entityRefFor(OrderDesk.ENTITY_KEY, symbol)
            .<OrderDesk.OpenOrders>ask(OrderDesk.Start::new, askTimeout))
        .runWith(Sink.seq(), system)
        .thenApply(desks -> {
          Map<String, String> open = new HashMap<>();
          for (OrderDesk.OpenOrders desk : desks) for (Order o : desk.orders()) open.put(o.clientOrderId(), desk.symbol());
          Result result = new Result(desks.size(), open, Duration.ofNanos(System.nanoTime() - started));
          log.info("event=order_recovery_done desks={} openOrders={} tookMs={}", result.desks(), open.size(), result.took().toMillis());
          return result;
        });
  }
}
