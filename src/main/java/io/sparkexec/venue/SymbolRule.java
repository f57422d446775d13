package io.sparkexec.venue;

import com.typesafe.config.Config;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A symbol's trading filters, Binance style. {@link #violation} is shared by the executor's
 * pre-trade validation and the simulator's own venue-rule rejects.
 */
public record SymbolRule(
    String symbol,
    String baseAsset,
    String quoteAsset,
    BigDecimal tickSize,
    BigDecimal stepSize,
    BigDecimal minQty,
    BigDecimal maxQty,
    BigDecimal minNotional,
    BigDecimal initialPrice,
    double volatilityBps,
    int spreadTicks,
    BigDecimal touchQty) {

  /**
   * The filters a venue states for a symbol (Binance's exchangeInfo PRICE_FILTER, LOT_SIZE,
   * NOTIONAL or MIN_NOTIONAL); null where it states none.
   */
  public record Filters(BigDecimal tickSize, BigDecimal stepSize, BigDecimal minQty, BigDecimal maxQty, BigDecimal minNotional) {}

  /** The filters this rule checks. */
  public Filters filters() {
    return new Filters(tickSize, stepSize, minQty, maxQty, minNotional);
  }

  /**
   * This rule with the venue's filters where it states them. A zero tick or step size is
   * Binance's "no such filter" and keeps ours (a remainder by zero has no meaning); a zero
   * maxQty too.
   */
  public SymbolRule withFilters(Filters venue) {
    return new SymbolRule(symbol, baseAsset, quoteAsset, positiveOr(venue.tickSize(), tickSize), positiveOr(venue.stepSize(), stepSize),
        venue.minQty() != null ? venue.minQty() : minQty, positiveOr(venue.maxQty(), maxQty),
        venue.minNotional() != null ? venue.minNotional() : minNotional, initialPrice, volatilityBps, spreadTicks, touchQty);
  }

  private static BigDecimal positiveOr(BigDecimal venue, BigDecimal ours) {
    return venue != null && venue.signum() > 0 ? venue : ours;
  }

  /** A broken rule: which field, which rule (machine code), and a sentence for people. */
  public record Violation(String field, String code, String message) {}

  public static Map<String, SymbolRule> fromConfig(Config venueConfig) {
    Map<String, SymbolRule> rules = new LinkedHashMap<>();
    for (Config c : venueConfig.getConfigList("symbols")) {
      SymbolRule rule =
          new SymbolRule(
              c.getString("symbol"),
              c.getString("base"),
              c.getString("quote"),
              new BigDecimal(c.getString("tick-size")),
              new BigDecimal(c.getString("step-size")),
              new BigDecimal(c.getString("min-qty")),
              new BigDecimal(c.getString("max-qty")),
              new BigDecimal(c.getString("min-notional")),
              new BigDecimal(c.getString("initial-price")),
              c.getDouble("volatility-bps"),
              c.getInt("spread-ticks"),
              new BigDecimal(c.getString("touch-qty")));
      rules.put(rule.symbol(), rule);
    }
    return Map.copyOf(rules);
  }

  /**
   * The first filter the order breaks, or null. {@code price} is null for MARKET orders;
   * {@code referencePrice} (the touch) then stands in for the notional check.
   */
  public Violation violation(BigDecimal quantity, BigDecimal price, BigDecimal referencePrice) {
    if (quantity.compareTo(minQty) < 0) {
      return new Violation("quantity", "MIN_QTY", "quantity " + quantity.toPlainString() + " is below minQty " + minQty.toPlainString());
    }
    if (quantity.compareTo(maxQty) > 0) {
      return new Violation("quantity", "MAX_QTY", "quantity " + quantity.toPlainString() + " is above maxQty " + maxQty.toPlainString());
    }
    if (!isMultiple(quantity.subtract(minQty), stepSize)) {
      return new Violation("quantity", "STEP_SIZE", "quantity " + quantity.toPlainString() + " is not a multiple of stepSize " + stepSize.toPlainString());
    }
    if (price != null && !isMultiple(price, tickSize)) {
      return new Violation("price", "TICK_SIZE", "price " + price.toPlainString() + " is not a multiple of tickSize " + tickSize.toPlainString());
    }
    BigDecimal notionalPrice = price != null ? price : referencePrice;
    if (notionalPrice != null && quantity.multiply(notionalPrice).compareTo(minNotional) < 0) {
      return new Violation(
          "quantity",
          "MIN_NOTIONAL",
          "notional " + quantity.multiply(notionalPrice).stripTrailingZeros().toPlainString() + " is below minNotional " + minNotional.toPlainString());
    }
    return null;
  }

  private static boolean isMultiple(BigDecimal value, BigDecimal unit) {
    return value.remainder(unit).signum() == 0;
  }
}
