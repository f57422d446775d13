package io.sparkexec.shadow;

import io.sparkexec.CborSerializable;
import io.sparkexec.order.OrderRequest;
import io.sparkexec.venue.MarketData;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.SimulatedVenue;
import io.sparkexec.venue.SymbolRule;
import io.sparkexec.venue.TimeInForce;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

/**
 * What the simulated market would do with an order, without sending it: the same rules as the
 * simulator's immediate execution, so a shadow twin and its real order on the simulator are
 * comparable. MARKET fills whole at the touch moved by size impact; a crossing LIMIT fills up to
 * the size shown at the touch (a larger one fills partially, the rest rests or expires); a LIMIT
 * that does not cross rests. Pure: the same inputs give the same fill.
 */
public final class ShadowFill {

  private static final BigDecimal TEN_THOUSAND = BigDecimal.valueOf(10_000);

  private ShadowFill() {}

  public enum Status {
    FILLED,
    PARTIALLY_FILLED,
    RESTING,
    EXPIRED
  }

  public record Fill(BigDecimal price, BigDecimal quantity) implements CborSerializable {}

  /** {@code avgPrice} and {@code slippageBps} are null without fills. Slippage is positive when it costs the taker. */
  public record Result(List<Fill> fills, BigDecimal executedQty, BigDecimal avgPrice, Status status, BigDecimal slippageBps) {}

  public static Result fill(OrderRequest r, BigDecimal decisionPrice, MarketData.Quote market, SymbolRule rule, BigDecimal impactBpsPerTouch) {
    BigDecimal touch = market.touch(r.side());
    if (r.type() == OrderType.MARKET) {
      return result(r, decisionPrice, List.of(new Fill(SimulatedVenue.impactPrice(rule, impactBpsPerTouch, r.side(), touch, r.quantity()), r.quantity())));
    }
    boolean crosses = r.side() == Side.BUY ? r.price().compareTo(touch) >= 0 : r.price().compareTo(touch) <= 0;
    if (!crosses || (r.timeInForce() == TimeInForce.FOK && r.quantity().compareTo(rule.touchQty()) > 0)) {
      return new Result(List.of(), BigDecimal.ZERO, null, r.timeInForce() == TimeInForce.GTC ? Status.RESTING : Status.EXPIRED, null);
    }
    return result(r, decisionPrice, List.of(new Fill(touch, r.quantity().min(rule.touchQty()))));
  }

  private static Result result(OrderRequest r, BigDecimal decisionPrice, List<Fill> fills) {
    BigDecimal executed = BigDecimal.ZERO;
    BigDecimal quote = BigDecimal.ZERO;
    for (Fill f : fills) {
      executed = executed.add(f.quantity());
      quote = quote.add(f.price().multiply(f.quantity()));
    }
    BigDecimal avg = quote.divide(executed, 8, RoundingMode.HALF_UP).stripTrailingZeros();
    Status status = executed.compareTo(r.quantity()) >= 0 ? Status.FILLED
        : r.timeInForce() == TimeInForce.GTC ? Status.PARTIALLY_FILLED : Status.EXPIRED;
    return new Result(fills, executed, avg, status, slippageBps(r.side(), decisionPrice, avg));
  }

  /** (fill - decision) / decision in basis points, signed so that positive is worse for the taker. */
  public static BigDecimal slippageBps(Side side, BigDecimal decisionPrice, BigDecimal avgPrice) {
    if (decisionPrice == null || avgPrice == null || decisionPrice.signum() == 0) return null;
    BigDecimal diff = side == Side.BUY ? avgPrice.subtract(decisionPrice) : decisionPrice.subtract(avgPrice);
    return diff.multiply(TEN_THOUSAND).divide(decisionPrice, 4, RoundingMode.HALF_UP);
  }
}
