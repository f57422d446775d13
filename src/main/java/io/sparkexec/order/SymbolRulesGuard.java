package io.sparkexec.order;

import io.sparkexec.venue.MarketData;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.SymbolRule;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Venue filters checked up front: unknown symbol, min/max quantity, step size, tick size, min
 * notional. The configured filters hold until the venue states its own ({@link #adopt}); a
 * configured symbol the venue does not list is refused here rather than sent to be refused there.
 */
public final class SymbolRulesGuard implements OrderGuard {

  /** What adopting the venue's filters changed: per symbol, the filters that differ (ours -> the venue's). */
  public record Adopted(Map<String, List<String>> changed, List<String> notListed) {}

  private final MarketData marketData;
  // replaced whole, read on every order: the hot path takes no lock
  private volatile Map<String, SymbolRule> rules;
  private volatile Set<String> traded;

  public SymbolRulesGuard(Map<String, SymbolRule> rules, MarketData marketData) {
    this.rules = Map.copyOf(rules);
    this.traded = Set.copyOf(rules.keySet());
    this.marketData = marketData;
  }

  /** The rules orders are checked against now. */
  public Map<String, SymbolRule> rules() {
    return rules;
  }

  /** Takes the venue's filters (exchangeInfo) over the configured ones, symbol by symbol; an empty map states nothing. */
  public Adopted adopt(Map<String, SymbolRule.Filters> venue) {
    if (venue.isEmpty()) return new Adopted(Map.of(), List.of());
    Map<String, SymbolRule> next = new LinkedHashMap<>();
    Map<String, List<String>> changed = new LinkedHashMap<>();
    List<String> missing = new ArrayList<>();
    for (SymbolRule ours : rules.values()) {
      SymbolRule.Filters theirs = venue.get(ours.symbol());
      if (theirs == null) {
        missing.add(ours.symbol());
        next.put(ours.symbol(), ours);
        continue;
      }
      SymbolRule adopted = ours.withFilters(theirs);
      List<String> diff = diff(ours.filters(), adopted.filters());
      if (!diff.isEmpty()) changed.put(ours.symbol(), diff);
      next.put(ours.symbol(), adopted);
    }
    Set<String> listed = new TreeSet<>(next.keySet());
    listed.removeAll(missing);
    rules = Map.copyOf(next);
    traded = Set.copyOf(listed);
    return new Adopted(changed, List.copyOf(missing));
  }

  private static List<String> diff(SymbolRule.Filters a, SymbolRule.Filters b) {
    List<String> d = new ArrayList<>();
    compare(d, "tickSize", a.tickSize(), b.tickSize());
    compare(d, "stepSize", a.stepSize(), b.stepSize());
    compare(d, "minQty", a.minQty(), b.minQty());
    compare(d, "maxQty", a.maxQty(), b.maxQty());
    compare(d, "minNotional", a.minNotional(), b.minNotional());
    return d;
  }

  private static void compare(List<String> d, String name, BigDecimal a, BigDecimal b) {
    if (a.compareTo(b) != 0) d.add(name + " " + a.toPlainString() + "->" + b.toPlainString());
  }

  @Override
  public Rejection check(OrderRequest request) {
    SymbolRule rule = rules.get(request.symbol());
    Set<String> symbols = traded;
    if (rule == null || !symbols.contains(request.symbol())) {
      String why = rule == null ? "symbol " + request.symbol() + " is not traded here" : "symbol " + request.symbol() + " is not listed by the venue";
      return new Rejection(Rejection.Kind.RULE, "UNKNOWN_SYMBOL", why, "symbol", Map.of("symbols", symbols));
    }
    MarketData.Quote quote = request.type() == OrderType.MARKET ? marketData.quote(request.symbol()) : null;
    SymbolRule.Violation v = rule.violation(request.quantity(), request.price(), quote == null ? null : quote.touch(request.side()));
    return v == null ? null : Rejection.rule(v.field(), v.code(), v.message());
  }
}
