package io.sparkexec.front;

import io.sparkexec.binance.BinanceOrders;
import io.sparkexec.order.Order;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the front door remembers, all of it bounded: the newest orders placed through it per
 * symbol (allOrders and myTrades list them; the orders themselves are read from the order
 * service, so this holds ids only), and Binance orderIds it answered with (a hash of the
 * clientOrderId, so only the way back needs memory). Each map behind its own lock, held for a
 * map operation; lost on restart, when listings refill the ids and open orders are found without.
 */
final class FrontHistory {

  private final int perSymbol;
  private final Map<String, LinkedHashMap<String, Boolean>> placed = new ConcurrentHashMap<>();
  private final LinkedHashMap<Long, String> ids;

  FrontHistory(int perSymbol, int rememberedIds) {
    this.perSymbol = perSymbol;
    this.ids = new LinkedHashMap<>(1024, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Long, String> eldest) {
        return size() > rememberedIds;
      }
    };
  }

  /** Binance's orderId for one of our orders: a stable number, the same across restarts. */
  static long orderId(String clientOrderId) {
    return BinanceOrders.positiveHash(clientOrderId);
  }

  /** An orderId the front door answered with, for lookups by orderId. */
  long remember(String clientOrderId) {
    long id = orderId(clientOrderId);
    synchronized (ids) {
      ids.put(id, clientOrderId);
    }
    return id;
  }

  /** The clientOrderId behind an orderId answered earlier, or null. */
  String clientOrderId(long orderId) {
    synchronized (ids) {
      return ids.get(orderId);
    }
  }

  /** One of our orders as Binance shows it (its orderId remembered). */
  BinanceOrders.View view(Order o) {
    long orderId = remember(o.clientOrderId());
    Order.Timestamps t = o.timestamps();
    Instant placedAt = t.accepted() != null ? t.accepted() : t.received();
    Instant updated = t.closed() != null ? t.closed() : t.lastFill() != null ? t.lastFill() : t.acknowledged() != null ? t.acknowledged() : placedAt;
    return new BinanceOrders.View(o.symbol(), orderId, o.clientOrderId(), o.price() == null ? BigDecimal.ZERO : o.price(), o.quantity(),
        status(o.status()), o.timeInForce().name(), o.type().name(), o.side().name(), placedAt.toEpochMilli(), updated.toEpochMilli(), o.fills());
  }

  /** Ours before the venue's acknowledgement (accepted, in doubt) is Binance's NEW: the order exists and is working. */
  private static String status(Order.Status s) {
    return switch (s) {
      case ACCEPTED, IN_DOUBT, ACKNOWLEDGED -> "NEW";
      default -> s.name();
    };
  }

  void placed(String symbol, String clientOrderId) {
    // symbols are the configured ones (checked before), so the outer map is bounded too
    LinkedHashMap<String, Boolean> recent = placed.computeIfAbsent(symbol, s -> new LinkedHashMap<>(64, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
        return size() > perSymbol;
      }
    });
    synchronized (recent) {
      recent.put(clientOrderId, Boolean.TRUE);
    }
  }

  /** The symbol's remembered clientOrderIds, oldest first. */
  List<String> placed(String symbol) {
    LinkedHashMap<String, Boolean> recent = placed.get(symbol);
    if (recent == null) return List.of();
    synchronized (recent) {
      return new ArrayList<>(recent.keySet());
    }
  }
}
