package io.sparkexec.order;

import io.sparkexec.venue.MarketData;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.SymbolRule;
import java.util.Map;

/** Venue filters checked up front: unknown symbol, min/max quantity, step size, tick size, min notional. */
public final class SymbolRulesGuard implements OrderGuard {

  private final Map<String, SymbolRule> rules;
  private final MarketData marketData;

  public SymbolRulesGuard(Map<String, SymbolRule> rules, MarketData marketData) {
    this.rules = rules;
    this.marketData = marketData;
  }

  @Override
  public Rejection check(OrderRequest request) {
    SymbolRule rule = rules.get(request.symbol());
    if (rule == null) {
      return new Rejection(Rejection.Kind.RULE, "UNKNOWN_SYMBOL", "symbol " + request.symbol() + " is not traded here", "symbol",
          Map.of("symbols", rules.keySet()));
    }
    MarketData.Quote quote = request.type() == OrderType.MARKET ? marketData.quote(request.symbol()) : null;
    SymbolRule.Violation v = rule.violation(request.quantity(), request.price(), quote == null ? null : quote.touch(request.side()));
    return v == null ? null : Rejection.rule(v.field(), v.code(), v.message());
  }
}
