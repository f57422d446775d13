package io.sparkexec.risk;

/**
 * What new orders may do. ACTIVE: anything the limits allow. REDUCING: only orders that move a
 * strategy's position toward zero, never past it (cancels always pass). HALTED: the kill switch,
 * every new order is refused.
 */
public enum TradingState {
  ACTIVE,
  REDUCING,
  HALTED;

  /** Exported as the spark_trading_state gauge. */
  public int gaugeValue() {
    return ordinal();
  }
}
