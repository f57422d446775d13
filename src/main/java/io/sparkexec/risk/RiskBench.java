package io.sparkexec.risk;

import io.sparkexec.AppConfig;
import io.sparkexec.order.OrderGuard;
import io.sparkexec.order.OrderRequest;
import io.sparkexec.venue.MarketData;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code risk-bench [SECONDS]}: what the risk guard costs per order as the ledger grows, a
 * benchmark and not a test. One run, side by side: a ledger with 0 or 100,000 orders folded
 * (accepted, filled, closed) and 0 or 5,000 open orders of the checked strategy and symbol, in
 * ACTIVE and in REDUCING (where the guard weighs the open orders of the same side). Each op is
 * what a place pays: {@code check} of a new order, then {@code release} (as for an order that is
 * not journaled, so the reservations stay flat). Also the ledger's fold per fact in each ledger.
 * Single-threaded; figures in docs/performance.md.
 */
public final class RiskBench {

  private static final int HISTORY = 100_000;
  private static final int OPEN = 5_000;
  private static final int BATCH = 256;

  private RiskBench() {}

  public static void main(String[] args) {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    com.typesafe.config.Config risk = AppConfig.load().getConfig("spark.risk");
    Map<Limit, BigDecimal> limits = Limit.fromConfig(risk.getConfig("limits"));
    RiskBook.NodeBounds node = Risk.Settings.nodeBounds(risk.getConfig("node"));
    Instant now = Instant.now();
    MarketData market = symbol -> new MarketData.Quote(symbol, new BigDecimal("64999.90"), new BigDecimal("65000.10"), now);
    List<OrderRequest> requests = new ArrayList<>();
    for (int i = 0; i < 1024; i++) {
      requests.add(new OrderRequest("bench-" + i, "BTCUSDT", Side.SELL, OrderType.LIMIT, TimeInForce.GTC, new BigDecimal("0.001"),
          new BigDecimal("65000.00"), "alpha", OrderRequest.RespType.ACKNOWLEDGED));
    }
    System.out.println("round ledger_orders open_orders state check_ns_per_order ratio_to_empty_ledger fold_ns_per_fact");
    for (int round = 1; round <= 2; round++) { // round 1 warms the JIT; round 2 is the one to quote
      Map<TradingState, Double> base = new java.util.EnumMap<>(TradingState.class);
      for (int history : new int[] {0, HISTORY}) {
        for (int open : new int[] {0, OPEN}) {
          RiskLedger.Ledger ledger = ledger(history, open, now);
          double foldNs = foldCost(ledger, now, seconds);
          for (TradingState state : new TradingState[] {TradingState.ACTIVE, TradingState.REDUCING}) {
            RiskBook book = new RiskBook(Clock.systemUTC(), market, limits, Duration.ofSeconds(15), node);
            book.ledgerRecovered(ledger);
            book.guardrailsChanged(new Guardrails.State(state, "bench", "bench", now, Map.of(), List.of()));
            double ns = checkCost(book.guard(), requests, seconds);
            if (history == 0 && open == 0) base.put(state, ns);
            System.out.printf("%d %d %d %s %.0f %.2f %.0f%n", round, history, open, state, ns, ns / base.get(state), foldNs);
          }
        }
      }
    }
  }

  /**
   * A filled buy (a long position for REDUCING to take sells against), {@code history} orders
   * accepted, filled and closed, then {@code open} resting buys.
   */
  private static RiskLedger.Ledger ledger(int history, int open, Instant at) {
    RiskLedger.Ledger state = RiskLedger.Ledger.EMPTY;
    List<RiskLedger.Fact> facts = new ArrayList<>(List.of(
        new RiskLedger.Accepted("seed", "alpha", "BTCUSDT", Side.BUY, new BigDecimal("1000"), new BigDecimal("10"), at),
        new RiskLedger.Filled("seed", new BigDecimal("1000"))));
    long offset = 0;
    for (int i = 0; i < history + open; i++) {
      String id = (i < history ? "hist-" : "open-") + i;
      facts.add(new RiskLedger.Accepted(id, "alpha", "BTCUSDT", Side.BUY, BigDecimal.ONE, new BigDecimal("10"), at));
      if (i < history) {
        facts.add(new RiskLedger.Filled(id, BigDecimal.ONE));
        facts.add(new RiskLedger.Closed(id));
      }
      if (facts.size() >= BATCH) {
        offset += facts.size();
        state = state.apply(new RiskLedger.Applied(offset, List.copyOf(facts)));
        facts.clear();
      }
      if ((i + 1) % 50_000 == 0) System.err.printf("risk-bench: %d orders folded%n", i + 1);
    }
    if (!facts.isEmpty()) state = state.apply(new RiskLedger.Applied(offset + facts.size(), List.copyOf(facts)));
    return state;
  }

  /** ns per check + release of a new order (1024 distinct ids, each released, so every check does the whole work). */
  private static double checkCost(OrderGuard guard, List<OrderRequest> requests, int seconds) {
    long ops = 0;
    long start = System.nanoTime();
    long deadline = start + seconds * 1_000_000_000L;
    while (System.nanoTime() < deadline) {
      for (OrderRequest r : requests) {
        if (guard.check(r) != null) throw new IllegalStateException("the bench order was refused: " + guard.check(r));
        guard.release(r);
      }
      ops += requests.size();
    }
    return (System.nanoTime() - start) / (double) ops;
  }

  /**
   * ns per fact of the ledger's fold on a copy of the ledger: batches of an order accepted, filled
   * and closed (the ledger's size stays as it is).
   */
  private static double foldCost(RiskLedger.Ledger ledger, Instant at, int seconds) {
    RiskLedger.Ledger state = RiskLedger.Ledger.of(ledger.snapshot());
    long facts = 0;
    long offset = ledger.offset();
    long start = System.nanoTime();
    long deadline = start + seconds * 1_000_000_000L;
    for (int n = 0; System.nanoTime() < deadline; n++) {
      String id = "fold-" + n;
      state = state.apply(new RiskLedger.Applied(++offset, List.of(
          new RiskLedger.Accepted(id, "alpha", "BTCUSDT", Side.BUY, BigDecimal.ONE, new BigDecimal("10"), at),
          new RiskLedger.Filled(id, BigDecimal.ONE),
          new RiskLedger.Closed(id))));
      facts += 3;
    }
    return (System.nanoTime() - start) / (double) facts;
  }
}
