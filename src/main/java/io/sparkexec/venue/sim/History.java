package io.sparkexec.venue.sim;

import io.sparkexec.venue.Side;
import io.sparkexec.venue.Venue.Fill;
import io.sparkexec.venue.Venue.VenueOrder;
import io.sparkexec.venue.Venue.VenueOrderReport;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a client pages through (allOrders, myTrades, lookups by orderId, ticker statistics),
 * fed by the ledger as it records. Per symbol, ids grow with time (both are taken under the
 * symbol's book lock), so one ordered map by id, plus a time-to-first-id index, serves every
 * page without scanning what comes before it. The oldest orders and trades are dropped past
 * their bounds.
 */
final class History implements SimLedger.View {

  /** {@code takerFills}: the fills of the place itself (against the touch); later ones are the resting order's. */
  record OrderEntry(VenueOrder order, VenueOrderReport report, long orderId, long time, int takerFills) {}

  record Trade(String symbol, long id, long orderId, boolean buyer, boolean maker, Fill fill) {}

  /** Since the simulator's ledger began (not a rolling 24 h window). */
  record Stats(BigDecimal open, BigDecimal high, BigDecimal low, BigDecimal last, BigDecimal lastQty, BigDecimal volume,
      BigDecimal quoteVolume, long firstId, long lastId, long count, long openTime) {}

  private final Pages<OrderEntry> orders;
  private final Pages<Trade> trades;
  private final Map<String, OrderEntry> byClientOrderId = new ConcurrentHashMap<>();
  private final Map<String, Stats> stats = new ConcurrentHashMap<>();

  History(int maxOrders, int maxTrades) {
    this.orders = new Pages<>(maxOrders, (symbol, entry) -> byClientOrderId.remove(entry.order().clientOrderId(), entry));
    this.trades = new Pages<>(maxTrades, (symbol, trade) -> {});
  }

  @Override
  public void created(VenueOrder order, VenueOrderReport report) {
    long orderId = Long.parseLong(report.venueOrderId());
    OrderEntry entry = new OrderEntry(order, report, orderId, report.time().toEpochMilli(), report.fills().size());
    byClientOrderId.put(order.clientOrderId(), entry);
    orders.add(order.symbol(), orderId, entry.time(), entry);
    addTrades(entry, 0);
  }

  @Override
  public void changed(VenueOrderReport report) {
    OrderEntry before = byClientOrderId.get(report.clientOrderId());
    if (before == null) return;
    OrderEntry after = new OrderEntry(before.order(), report, before.orderId(), before.time(), before.takerFills());
    if (byClientOrderId.replace(report.clientOrderId(), before, after)) orders.replace(before.order().symbol(), before.orderId(), after);
    addTrades(after, before.report().fills().size());
  }

  private void addTrades(OrderEntry entry, int seen) {
    List<Fill> fills = entry.report().fills();
    String symbol = entry.order().symbol();
    for (int i = seen; i < fills.size(); i++) {
      Fill f = fills.get(i);
      long id = Long.parseLong(f.tradeId());
      trades.add(symbol, id, f.time().toEpochMilli(), trade(entry, i));
      stats.compute(symbol, (s, st) -> st == null
          ? new Stats(f.price(), f.price(), f.price(), f.price(), f.quantity(), f.quantity(), f.price().multiply(f.quantity()), id, id, 1, f.time().toEpochMilli())
          : new Stats(st.open(), st.high().max(f.price()), st.low().min(f.price()), f.price(), f.quantity(), st.volume().add(f.quantity()),
              st.quoteVolume().add(f.price().multiply(f.quantity())), st.firstId(), id, st.count() + 1, st.openTime()));
    }
  }

  /** The order's fills as trades, oldest first. */
  static List<Trade> trades(OrderEntry entry) {
    List<Trade> all = new ArrayList<>(entry.report().fills().size());
    for (int i = 0; i < entry.report().fills().size(); i++) all.add(trade(entry, i));
    return all;
  }

  private static Trade trade(OrderEntry entry, int fill) {
    Fill f = entry.report().fills().get(fill);
    return new Trade(entry.order().symbol(), Long.parseLong(f.tradeId()), entry.orderId(), entry.order().side() == Side.BUY, fill >= entry.takerFills(), f);
  }

  /** The order under this id in this symbol, while retained. */
  OrderEntry order(String symbol, long orderId) {
    return orders.get(symbol, orderId);
  }

  List<OrderEntry> orders(String symbol, long fromId, long startTime, long endTime, int limit) {
    return orders.page(symbol, fromId, startTime, endTime, limit);
  }

  List<Trade> trades(String symbol, long fromId, long startTime, long endTime, int limit) {
    return trades.page(symbol, fromId, startTime, endTime, limit);
  }

  Stats stats(String symbol) {
    return stats.get(symbol);
  }

  /** Per symbol: items by id, the first id at each time; the oldest dropped (all symbols together) past {@code max}. */
  private static final class Pages<T> {
    private record Key(String symbol, long id, long time) {}

    interface Dropped<T> {
      void dropped(String symbol, T item);
    }

    private final int max;
    private final Dropped<T> onDrop;
    private final Map<String, NavigableMap<Long, T>> byId = new ConcurrentHashMap<>();
    private final Map<String, NavigableMap<Long, Long>> firstIdAt = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Key> oldestFirst = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();

    Pages(int max, Dropped<T> onDrop) {
      this.max = max;
      this.onDrop = onDrop;
    }

    void add(String symbol, long id, long time, T item) {
      byId.computeIfAbsent(symbol, s -> new ConcurrentSkipListMap<>()).put(id, item);
      firstIdAt.computeIfAbsent(symbol, s -> new ConcurrentSkipListMap<>()).merge(time, id, Math::min);
      oldestFirst.add(new Key(symbol, id, time));
      if (size.incrementAndGet() > max) dropOldest();
    }

    void replace(String symbol, long id, T item) {
      NavigableMap<Long, T> items = byId.get(symbol);
      if (items != null) items.replace(id, item);
    }

    T get(String symbol, long id) {
      NavigableMap<Long, T> items = byId.get(symbol);
      return items == null ? null : items.get(id);
    }

    private void dropOldest() {
      Key oldest = oldestFirst.poll();
      if (oldest == null) return;
      size.decrementAndGet();
      T item = byId.get(oldest.symbol()).remove(oldest.id());
      // times before the oldest kept item's point at nothing any more
      firstIdAt.get(oldest.symbol()).headMap(oldest.time()).clear();
      if (item != null) onDrop.dropped(oldest.symbol(), item);
    }

    /** Up to {@code limit} items with id >= fromId and time in [startTime, endTime], oldest first. */
    List<T> page(String symbol, long fromId, long startTime, long endTime, int limit) {
      NavigableMap<Long, T> items = byId.get(symbol);
      List<T> page = new ArrayList<>(Math.min(limit, 64));
      if (items == null) return page;
      long from = fromId;
      if (startTime > 0) {
        Map.Entry<Long, Long> first = firstIdAt.get(symbol).ceilingEntry(startTime);
        if (first == null) return page;
        from = Math.max(from, first.getValue());
      }
      NavigableMap<Long, Long> times = firstIdAt.get(symbol);
      Map.Entry<Long, Long> afterEnd = endTime == Long.MAX_VALUE ? null : times.higherEntry(endTime);
      long toId = afterEnd == null ? Long.MAX_VALUE : afterEnd.getValue();
      for (T item : items.subMap(from, true, toId, false).values()) {
        if (page.size() == limit) break;
        page.add(item);
      }
      return page;
    }
  }
}
