package io.sparkexec.order;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The open-orders read side: every non-final order on this node, fed by the order entities as
 * they change and seeded by the start-up scan. An update older than what is held (lower
 * version) is ignored, so the scan and live updates can interleave; the versions of recently
 * finished orders are remembered (bounded) so a late, older update cannot reopen one. Memory is
 * bounded by the number of open orders, not by history.
 */
public final class OpenOrders {

  public sealed interface Command {}

  public record Upsert(Order order) implements Command {}

  public record Query(String symbol, String strategy, ActorRef<Listing> replyTo) implements Command {}

  public record Listing(List<Order> orders) {}

  private static final int RECENTLY_FINAL = 65_536;

  public static Behavior<Command> create() {
    return Behaviors.setup(ctx -> {
      Map<String, Order> open = new HashMap<>();
      Map<String, Integer> recentlyFinal = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
          return size() > RECENTLY_FINAL;
        }
      };
      return Behaviors.receive(Command.class)
          .onMessage(Upsert.class, u -> {
            Order o = u.order();
            Order held = open.get(o.clientOrderId());
            if (held != null && held.version() >= o.version()) return Behaviors.same();
            Integer finalVersion = recentlyFinal.get(o.clientOrderId());
            if (finalVersion != null && finalVersion >= o.version()) return Behaviors.same();
            if (o.status().isFinal()) {
              open.remove(o.clientOrderId());
              recentlyFinal.put(o.clientOrderId(), o.version());
            } else {
              open.put(o.clientOrderId(), o);
            }
            return Behaviors.same();
          })
          .onMessage(Query.class, q -> {
            List<Order> matching = new ArrayList<>();
            for (Order o : open.values()) {
              if ((q.symbol() == null || q.symbol().equals(o.symbol())) && (q.strategy() == null || q.strategy().equals(o.strategy()))) {
                matching.add(o);
              }
            }
            matching.sort(Comparator.comparing((Order o) -> o.timestamps().accepted()).thenComparing(Order::clientOrderId));
            q.replyTo().tell(new Listing(matching));
            return Behaviors.same();
          })
          .build();
    });
  }
}
