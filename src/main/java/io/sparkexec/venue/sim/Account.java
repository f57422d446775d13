package io.sparkexec.venue.sim;

import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.SymbolRule;
import io.sparkexec.venue.Venue.Fill;
import io.sparkexec.venue.Venue.VenueOrder;
import io.sparkexec.venue.Venue.VenueOrderReport;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The simulator's one account: balances seeded from config (spark.venue-sim.balances) that move
 * with every fill the ledger records, so a restart replays them to the same figures. An open
 * order locks what it may spend (a BUY its quote notional plus the fee, a SELL its quantity);
 * fills spend from that lock, a final order gives the rest back. A place that the free balance
 * cannot cover is refused before the venue sees it ({@link #reserve}).
 */
final class Account implements SimLedger.View {

  record Balance(String asset, BigDecimal free, BigDecimal locked) {}

  /** What one order holds: {@code left} of {@code asset}, and how many of its fills were applied. */
  private static final class Lock {
    final VenueOrder order;
    final String asset;
    BigDecimal left;
    int fillsApplied;

    Lock(VenueOrder order, String asset, BigDecimal left) {
      this.order = order;
      this.asset = asset;
      this.left = left;
    }
  }

  private final Map<String, SymbolRule> rules;
  private final BigDecimal feeRate;
  private final Map<String, BigDecimal> free = new TreeMap<>();
  private final Map<String, BigDecimal> locked = new HashMap<>();
  /** Open orders only, so at most maxOpenOrders per symbol. */
  private final Map<String, Lock> locks = new HashMap<>();
  /** Reserved by a place call whose order the venue has not created yet (bounded by calls in flight). */
  private final Map<String, Lock> pending = new HashMap<>();
  /** Open and reserved orders per symbol, at most maxOpenOrders (Binance's MAX_NUM_ORDERS filter). */
  private final Map<String, Integer> openBySymbol = new HashMap<>();
  private final int maxOpenOrders;

  /** Why a place is refused before the venue sees it. */
  enum Refusal {
    INSUFFICIENT_BALANCE,
    MAX_NUM_ORDERS
  }

  Account(Map<String, SymbolRule> rules, Map<String, BigDecimal> seed, BigDecimal feeRate, int maxOpenOrders) {
    this.rules = rules;
    this.feeRate = feeRate;
    this.maxOpenOrders = maxOpenOrders;
    for (SymbolRule r : rules.values()) {
      free.put(r.baseAsset(), BigDecimal.ZERO);
      free.put(r.quoteAsset(), BigDecimal.ZERO);
    }
    free.putAll(seed);
  }

  /**
   * Locks what the order may spend, priced at {@code referencePrice} when it has no limit; or
   * answers why not (nothing locked): the free balance is short, or the symbol has
   * maxOpenOrders open already. An order already reserved by a call in flight is not reserved twice.
   */
  synchronized Refusal reserve(VenueOrder order, BigDecimal referencePrice) {
    if (pending.containsKey(order.clientOrderId()) || locks.containsKey(order.clientOrderId())) return null;
    if (openBySymbol.getOrDefault(order.symbol(), 0) >= maxOpenOrders) return Refusal.MAX_NUM_ORDERS;
    Lock lock = need(order, order.type() == OrderType.LIMIT ? order.price() : referencePrice);
    if (free.getOrDefault(lock.asset, BigDecimal.ZERO).compareTo(lock.left) < 0) return Refusal.INSUFFICIENT_BALANCE;
    lockFree(lock.asset, lock.left);
    pending.put(order.clientOrderId(), lock);
    openBySymbol.merge(order.symbol(), 1, Integer::sum);
    return null;
  }

  /** After the place call: a reservation no order took (refused, deduplicated) is given back. */
  synchronized void settle(String clientOrderId) {
    Lock unused = pending.remove(clientOrderId);
    if (unused != null) {
      unlock(unused.asset, unused.left);
      openBySymbol.merge(unused.order.symbol(), -1, Integer::sum);
    }
  }

  @Override
  public synchronized void created(VenueOrder order, VenueOrderReport report) {
    Lock lock = pending.remove(order.clientOrderId());
    if (lock == null) {
      // replayed (or placed past the check by a racing duplicate): what a LIMIT order may spend; a MARKET one fills at once
      lock = order.type() == OrderType.LIMIT ? need(order, order.price()) : new Lock(order, need(order, BigDecimal.ZERO).asset, BigDecimal.ZERO);
      lockFree(lock.asset, lock.left);
      openBySymbol.merge(order.symbol(), 1, Integer::sum);
    }
    locks.put(order.clientOrderId(), lock);
    apply(lock, report);
  }

  @Override
  public synchronized void changed(VenueOrderReport report) {
    Lock lock = locks.get(report.clientOrderId());
    if (lock != null) apply(lock, report);
  }

  synchronized List<Balance> balances() {
    List<Balance> all = new ArrayList<>(free.size());
    for (Map.Entry<String, BigDecimal> e : free.entrySet()) {
      all.add(new Balance(e.getKey(), e.getValue(), locked.getOrDefault(e.getKey(), BigDecimal.ZERO)));
    }
    return all;
  }

  private void apply(Lock lock, VenueOrderReport report) {
    SymbolRule rule = rules.get(lock.order.symbol());
    List<Fill> fills = report.fills();
    for (int i = lock.fillsApplied; i < fills.size(); i++) {
      Fill f = fills.get(i);
      BigDecimal notional = f.price().multiply(f.quantity());
      if (lock.order.side() == Side.BUY) {
        spend(lock, rule.quoteAsset(), notional);
        free.merge(rule.baseAsset(), f.quantity(), BigDecimal::add);
      } else {
        spend(lock, rule.baseAsset(), f.quantity());
        free.merge(rule.quoteAsset(), notional, BigDecimal::add);
      }
      spend(lock, f.feeAsset(), f.fee());
    }
    lock.fillsApplied = fills.size();
    if (report.status().isFinal()) {
      locks.remove(lock.order.clientOrderId());
      unlock(lock.asset, lock.left);
      openBySymbol.merge(lock.order.symbol(), -1, Integer::sum);
    }
  }

  /** Takes {@code amount} from the order's lock while it lasts, the rest from the free balance. */
  private void spend(Lock lock, String asset, BigDecimal amount) {
    BigDecimal fromLock = asset.equals(lock.asset) ? lock.left.min(amount) : BigDecimal.ZERO;
    lock.left = lock.left.subtract(fromLock);
    locked.merge(asset, fromLock.negate(), BigDecimal::add);
    free.merge(asset, fromLock.subtract(amount), BigDecimal::add);
  }

  private Lock need(VenueOrder order, BigDecimal price) {
    SymbolRule rule = rules.get(order.symbol());
    if (order.side() == Side.SELL) return new Lock(order, rule.baseAsset(), order.quantity());
    BigDecimal notional = price.multiply(order.quantity());
    return new Lock(order, rule.quoteAsset(), notional.add(notional.multiply(feeRate)));
  }

  private void lockFree(String asset, BigDecimal amount) {
    free.merge(asset, amount.negate(), BigDecimal::add);
    locked.merge(asset, amount, BigDecimal::add);
  }

  private void unlock(String asset, BigDecimal amount) {
    locked.merge(asset, amount.negate(), BigDecimal::add);
    free.merge(asset, amount, BigDecimal::add);
  }
}
