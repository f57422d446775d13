package io.sparkexec.risk;

import io.sparkexec.metrics.Metrics;
import io.sparkexec.order.OrderGuard;
import io.sparkexec.order.OrderRequest;
import io.sparkexec.order.Rejection;
import io.sparkexec.venue.MarketData;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guards' view of the guardrails: the trading state and limits ({@link Guardrails}), the
 * ledger ({@link RiskLedger}), and what the guard itself let through that the ledger has not seen
 * journaled yet (reservations), so a burst cannot overrun a limit while the tag stream catches up.
 * Every method holds the lock (this book's monitor) only for O(1) in-memory arithmetic (running
 * sums, never a scan of orders or reservations): nothing here waits on I/O or actors. The ledger
 * folds each batch under the same lock and the book releases the batch's reservations in that
 * step ({@link #ledgerFolded}), so an order is counted exactly once.
 */
public final class RiskBook {

  private static final Logger log = LoggerFactory.getLogger(RiskBook.class);
  private static final BigDecimal HUNDRED = BigDecimal.valueOf(100);

  /** {@code request}: the very request that took it, so only that request's outcome gives it back. */
  private record Reservation(OrderRequest request, String strategy, String symbol, Side side, BigDecimal quantity, BigDecimal notional,
      LocalDate day, Instant at) {}

  /**
   * What the node takes of all strategies together, whatever names they invent: open orders
   * (each costs heap until final), places per second, and distinct strategies (each grows
   * per-strategy state for good: positions, SLOs, ledger sums).
   */
  public record NodeBounds(int maxOpenOrders, int maxOrdersPerSecond, int maxStrategies) {}

  /** What a passed check takes: a reservation and a rate slot (real orders), a rate slot only (shadow orders), or nothing. */
  private enum Mode {
    RESERVE,
    RATE_ONLY,
    DRY_RUN
  }

  private final Clock clock;
  private final MarketData marketData;
  private final Map<Limit, BigDecimal> defaults;
  private final Duration reservationTtl;
  private final NodeBounds node;
  private Guardrails.State guardrails;
  private Map<Limit, BigDecimal> limits;
  private RiskLedger.Ledger ledger;
  private boolean ledgerRecovered;
  private final Map<String, Reservation> reservations = new LinkedHashMap<>();
  // running sums over the reservations, kept with every add and remove so a check is O(1), not O(reserved)
  private final Map<SumKey, BigDecimal> reservedNotional = new HashMap<>();
  private final Map<String, Integer> reservedCount = new HashMap<>();
  private final Map<SideKey, BigDecimal> reservedQuantity = new HashMap<>();
  private int reservedTotal;
  // strategies held by a reservation that the ledger has not seen yet: they count toward maxStrategies
  private final Set<String> reservedNewStrategies = new HashSet<>();
  // the order-rate window (fixed one-second windows): cleared when the second changes, so it holds only this second's strategies
  private long windowSecond = Long.MIN_VALUE;
  private final Map<String, Integer> inSecond = new HashMap<>();
  private int nodeInSecond;

  public RiskBook(Clock clock, MarketData marketData, Map<Limit, BigDecimal> defaults, Duration reservationTtl, NodeBounds node) {
    this.clock = clock;
    this.marketData = marketData;
    this.defaults = Map.copyOf(defaults);
    this.reservationTtl = reservationTtl;
    this.node = node;
    this.limits = Map.copyOf(defaults);
  }

  /**
   * The guard for real orders: a passed order is counted against the limits until the ledger has
   * folded it, or until its request gives the reservation back because it was not journaled.
   */
  public OrderGuard guard() {
    return new OrderGuard() {
      @Override
      public Rejection check(OrderRequest request) {
        return RiskBook.this.check(request, Mode.RESERVE);
      }

      @Override
      public void release(OrderRequest request) {
        RiskBook.this.release(request);
      }
    };
  }

  /**
   * The same per-strategy checks, counting nothing and leaving out the node's bounds: for the
   * executor's own synthetic orders (canary, warm-up), which a full node must still let through.
   */
  public OrderGuard dryRunGuard() {
    return r -> check(r, Mode.DRY_RUN);
  }

  /**
   * Shadow orders: the same checks, and they take their slot in the per-strategy and node order
   * rate (each is a journal write) but reserve no exposure: they never reach a venue, and the few
   * that rest live only in the shadow book's bounded memory, so the open-order bounds do not apply.
   */
  public OrderGuard shadowGuard() {
    return r -> check(r, Mode.RATE_ONLY);
  }

  public synchronized void guardrailsChanged(Guardrails.State state) {
    guardrails = state;
    limits = state.limits(defaults);
    Metrics.TRADING_STATE.withoutTags().update(state.tradingState().gaugeValue());
  }

  /** The ledger folded a batch (called under this lock, see {@link RiskLedger.Deps}): what it folded is no longer reserved. */
  public synchronized void ledgerFolded(RiskLedger.Ledger state, List<RiskLedger.Fact> folded) {
    ledger = state;
    for (RiskLedger.Fact f : folded) {
      if (f instanceof RiskLedger.Accepted a) {
        unreserve(reservations.remove(a.orderId()));
        reservedNewStrategies.remove(a.strategy());
      }
    }
  }

  public synchronized void ledgerRecovered(RiskLedger.Ledger state) {
    ledger = state;
    ledgerRecovered = true;
  }

  public synchronized boolean isReady() {
    return guardrails != null && ledgerRecovered;
  }

  public synchronized Guardrails.State guardrails() {
    return guardrails;
  }

  public synchronized Map<Limit, BigDecimal> limits() {
    return limits;
  }

  /** Net positions by strategy, then symbol (a copy); empty before the ledger recovered. */
  public synchronized Map<String, Map<String, BigDecimal>> positions() {
    return ledgerRecovered ? ledger.positions() : Map.of();
  }

  private synchronized Rejection check(OrderRequest r, Mode mode) {
    if (!isReady()) {
      return new Rejection(Rejection.Kind.UNAVAILABLE, "RISK_NOT_READY", "the guardrails are still recovering; retry shortly", null, Map.of());
    }
    Instant now = clock.instant();
    String strategy = RiskLedger.strategyKey(r.strategy());
    Rejection byState = checkTradingState(r, strategy);
    if (byState != null) return byState;
    // a retry of an order already counted adds no exposure (the order room answers it idempotently)
    if (reservations.containsKey(r.clientOrderId()) || ledger.counted(r.clientOrderId())) return null;
    expireReservations(now);
    MarketData.Quote quote = marketData.quote(r.symbol());
    BigDecimal touch = quote == null ? null : quote.touch(r.side());
    BigDecimal price = r.type() == OrderType.LIMIT ? r.price() : touch;
    BigDecimal notional = price == null ? null : r.quantity().multiply(price);
    LocalDate today = RiskLedger.utcDay(now);

    Rejection hit = atMost(Limit.MAX_ORDER_QTY, BigDecimal.ZERO, r.quantity());
    if (hit == null && notional != null) hit = atMost(Limit.MAX_ORDER_NOTIONAL, BigDecimal.ZERO, notional);
    if (hit == null && r.type() == OrderType.LIMIT && touch != null) hit = collar(r.side(), r.price(), touch);
    if (hit == null && notional != null) {
      BigDecimal usedSymbol = reservedNotional.getOrDefault(symbolKey(today, r.symbol()), BigDecimal.ZERO)
          .add(ledger.symbolNotionalToday(today, r.symbol()));
      BigDecimal usedStrategy = reservedNotional.getOrDefault(strategyKey(today, strategy), BigDecimal.ZERO)
          .add(ledger.strategyNotionalToday(today, strategy));
      hit = atMost(Limit.DAILY_NOTIONAL_PER_SYMBOL, usedSymbol, notional);
      if (hit == null) hit = atMost(Limit.DAILY_NOTIONAL_PER_STRATEGY, usedStrategy, notional);
    }
    if (hit == null) {
      long reservedOpen = reservedCount.getOrDefault(strategy, 0);
      hit = atMost(Limit.MAX_OPEN_ORDERS_PER_STRATEGY, BigDecimal.valueOf(ledger.openCount(strategy) + reservedOpen), BigDecimal.ONE);
    }
    long second = now.getEpochSecond();
    if (second != windowSecond) {
      windowSecond = second;
      inSecond.clear();
      nodeInSecond = 0;
    }
    int inWindow = mode == Mode.DRY_RUN ? 0 : inSecond.getOrDefault(strategy, 0);
    if (hit == null) hit = atMost(Limit.MAX_ORDERS_PER_SECOND_PER_STRATEGY, BigDecimal.valueOf(inWindow), BigDecimal.ONE);
    if (hit == null && mode == Mode.RESERVE) hit = nodeOpenAndStrategies(strategy);
    if (hit == null && mode != Mode.DRY_RUN && nodeInSecond >= node.maxOrdersPerSecond()) {
      hit = nodeBound(Rejection.Kind.TOO_MANY, "NODE_RATE_LIMIT", "nodeMaxOrdersPerSecond", node.maxOrdersPerSecond(), nodeInSecond, null,
          "the node takes at most " + node.maxOrdersPerSecond() + " orders per second across all strategies; retry in a second");
    }
    if (hit != null) {
      Metrics.RISK_REJECTIONS.withTag("limit", (String) hit.details().get("limit")).increment();
      return hit;
    }
    if (mode != Mode.DRY_RUN) {
      inSecond.merge(strategy, 1, Integer::sum);
      nodeInSecond++;
    }
    if (mode == Mode.RESERVE) {
      if (!ledger.knows(strategy)) reservedNewStrategies.add(strategy);
      reservedTotal++;
      Reservation res = new Reservation(r, strategy, r.symbol(), r.side(), r.quantity(), notional == null ? BigDecimal.ZERO : notional, today, now);
      reservations.put(r.clientOrderId(), res);
      reservedNotional.merge(symbolKey(today, res.symbol()), res.notional(), BigDecimal::add);
      reservedNotional.merge(strategyKey(today, strategy), res.notional(), BigDecimal::add);
      reservedCount.merge(strategy, 1, Integer::sum);
      reservedQuantity.merge(new SideKey(strategy, res.symbol(), res.side()), res.quantity(), BigDecimal::add);
    }
    return null;
  }

  /**
   * The node's capacity, all strategies together: open orders (journaled and reserved) under
   * maxOpenOrders, 429 (it frees as orders fill or are canceled: back off and retry), and a strategy
   * name no order has used yet only while fewer than maxStrategies are known, 422 (it never frees by waiting).
   */
  private Rejection nodeOpenAndStrategies(String strategy) {
    int strategies = ledger.strategyCount() + reservedNewStrategies.size();
    if (!ledger.knows(strategy) && !reservedCount.containsKey(strategy) && strategies >= node.maxStrategies()) {
      return nodeBound(Rejection.Kind.RULE, "TOO_MANY_STRATEGIES", "maxStrategies", node.maxStrategies(), strategies, "strategy",
          "the node knows " + strategies + " strategies, its maximum: use a strategy that has traded before");
    }
    int open = ledger.openTotal() + reservedTotal;
    if (open >= node.maxOpenOrders()) {
      return nodeBound(Rejection.Kind.TOO_MANY, "NODE_OPEN_ORDER_CAP", "nodeMaxOpenOrders", node.maxOpenOrders(), open, null,
          "the node holds " + open + " open orders, its maximum across all strategies; retry once orders have filled or been canceled");
    }
    return null;
  }

  private static Rejection nodeBound(Rejection.Kind kind, String code, String limit, int max, int used, String field, String message) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("limit", limit);
    details.put("limitValue", String.valueOf(max));
    details.put("used", String.valueOf(used));
    return new Rejection(kind, code, message, field, details);
  }

  /** The request's order was not journaled: its reservation and its slot in the rate window are given back. */
  private synchronized void release(OrderRequest r) {
    Reservation res = reservations.get(r.clientOrderId());
    // a retry finds the first request's reservation and takes none: its outcome must not give that one back
    if (res == null || res.request() != r) return;
    reservations.remove(r.clientOrderId());
    unreserve(res);
    if (res.at().getEpochSecond() == windowSecond) {
      inSecond.computeIfPresent(res.strategy(), (k, n) -> n > 1 ? n - 1 : null);
      if (nodeInSecond > 0) nodeInSecond--;
    }
  }

  private Rejection checkTradingState(OrderRequest r, String strategy) {
    Guardrails.State g = guardrails;
    if (g.tradingState() == TradingState.ACTIVE) return null;
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("state", g.tradingState().name());
    details.put("reason", g.reason());
    details.put("by", g.by());
    if (g.since() != null) details.put("since", g.since().toString());
    if (g.tradingState() == TradingState.HALTED) {
      return refusedByState("TRADING_HALTED", "trading is halted (kill switch): no new orders", details);
    }
    // REDUCING: the position after this order and every open or just-passed order on the same side
    // must stay on the same side of zero, so reducing orders together can never cross it
    BigDecimal reserved = reservedQuantity.getOrDefault(new SideKey(strategy, r.symbol(), r.side()), BigDecimal.ZERO);
    RiskLedger.Exposure exposure = ledger.exposure(strategy, r.symbol(), r.side());
    BigDecimal position = exposure.position();
    BigDecimal pending = exposure.openSameSide().add(reserved);
    BigDecimal reducible = r.side() == Side.SELL ? position : position.negate();
    BigDecimal room = reducible.subtract(pending).max(BigDecimal.ZERO);
    if (r.quantity().compareTo(room) <= 0) return null;
    details.put("position", position.toPlainString());
    details.put("pendingSameSide", pending.toPlainString());
    details.put("maxReducingQty", room.toPlainString());
    return refusedByState("TRADING_REDUCING", "trading is reducing-only: this order would not move the " + strategy + " " + r.symbol()
        + " position toward zero without crossing it", details);
  }

  private static Rejection refusedByState(String code, String message, Map<String, Object> details) {
    Metrics.RISK_REJECTIONS.withTag("limit", code.equals("TRADING_HALTED") ? "halted" : "reducing").increment();
    return new Rejection(Rejection.Kind.LOCKED, code, message, null, details);
  }

  /** {@code used + attempted <= limit}, else the limit hit: 422 (429 for the order rate). */
  private Rejection atMost(Limit limit, BigDecimal used, BigDecimal attempted) {
    BigDecimal max = limits.get(limit);
    BigDecimal total = used.add(attempted);
    if (total.compareTo(max) <= 0) return null;
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("limit", limit.apiName);
    details.put("limitValue", max.toPlainString());
    details.put("attempted", attempted.stripTrailingZeros().toPlainString());
    details.put("used", used.stripTrailingZeros().toPlainString());
    details.put("remaining", max.subtract(used).max(BigDecimal.ZERO).stripTrailingZeros().toPlainString());
    boolean rate = limit == Limit.MAX_ORDERS_PER_SECOND_PER_STRATEGY;
    return new Rejection(rate ? Rejection.Kind.TOO_MANY : Rejection.Kind.RULE, rate ? "RATE_LIMIT" : "RISK_LIMIT",
        limit.apiName + " " + max.toPlainString() + " would be exceeded: used " + details.get("used") + ", this order " + details.get("attempted"),
        field(limit), details);
  }

  /**
   * Fat-finger check on the marketable side only: a BUY far above the ask or a SELL far below the
   * bid would trade at a bad price; a passive price (a bid under the market) only rests.
   */
  private Rejection collar(Side side, BigDecimal price, BigDecimal touch) {
    BigDecimal pct = limits.get(Limit.PRICE_COLLAR_PCT);
    BigDecimal through = side == Side.BUY ? price.subtract(touch) : touch.subtract(price);
    if (through.signum() <= 0) return null;
    BigDecimal deviation = through.multiply(HUNDRED).divide(touch, 4, RoundingMode.HALF_UP);
    if (deviation.compareTo(pct) <= 0) return null;
    BigDecimal band = touch.multiply(pct).divide(HUNDRED, MathContext.DECIMAL64);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("limit", Limit.PRICE_COLLAR_PCT.apiName);
    details.put("limitValue", pct.toPlainString());
    details.put("attempted", deviation.stripTrailingZeros().toPlainString());
    details.put("touch", touch.toPlainString());
    if (side == Side.BUY) details.put("maxPrice", touch.add(band).stripTrailingZeros().toPlainString());
    else details.put("minPrice", touch.subtract(band).stripTrailingZeros().toPlainString());
    return new Rejection(Rejection.Kind.RULE, "RISK_LIMIT", "price " + price.toPlainString() + " is " + details.get("attempted")
        + "% from the touch " + touch.toPlainString() + "; the collar is " + pct.toPlainString() + "%", "price", details);
  }

  private static String field(Limit limit) {
    return switch (limit) {
      case MAX_ORDER_QTY -> "quantity";
      case PRICE_COLLAR_PCT -> "price";
      case MAX_OPEN_ORDERS_PER_STRATEGY, MAX_ORDERS_PER_SECOND_PER_STRATEGY, DAILY_NOTIONAL_PER_STRATEGY -> "strategy";
      case MAX_ORDER_NOTIONAL, DAILY_NOTIONAL_PER_SYMBOL -> "quantity";
    };
  }

  /** Takes a reservation out of the running sums (null: there was none). */
  private void unreserve(Reservation res) {
    if (res == null) return;
    reservedNotional.computeIfPresent(symbolKey(res.day(), res.symbol()), (k, v) -> zeroToNull(v.subtract(res.notional())));
    reservedNotional.computeIfPresent(strategyKey(res.day(), res.strategy()), (k, v) -> zeroToNull(v.subtract(res.notional())));
    reservedTotal--;
    if (reservedCount.computeIfPresent(res.strategy(), (k, v) -> v > 1 ? v - 1 : null) == null) reservedNewStrategies.remove(res.strategy());
    reservedQuantity.computeIfPresent(new SideKey(res.strategy(), res.symbol(), res.side()), (k, v) -> zeroToNull(v.subtract(res.quantity())));
  }

  private static BigDecimal zeroToNull(BigDecimal v) {
    return v.signum() == 0 ? null : v;
  }

  /** A running sum's key: the day's notional reserved for one symbol ({@code bySymbol}) or one strategy. */
  private record SumKey(LocalDate day, boolean bySymbol, String name) {}

  /** The quantity reserved on one side of one (strategy, symbol): what REDUCING adds to the open orders. */
  private record SideKey(String strategy, String symbol, Side side) {}

  private static SumKey symbolKey(LocalDate day, String symbol) {
    return new SumKey(day, true, symbol);
  }

  private static SumKey strategyKey(LocalDate day, String strategy) {
    return new SumKey(day, false, strategy);
  }

  private void expireReservations(Instant now) {
    Instant oldest = now.minus(reservationTtl);
    for (Iterator<Reservation> it = reservations.values().iterator(); it.hasNext(); ) {
      Reservation res = it.next();
      if (!res.at().isBefore(oldest)) break; // insertion order = time order
      it.remove();
      unreserve(res);
      log.debug("event=risk_reservation_expired strategy={} symbol={}", res.strategy(), res.symbol());
    }
  }
}
