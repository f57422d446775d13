package io.sparkexec.venue;

import java.math.BigDecimal;
import java.time.Instant;

/** Best bid/ask per symbol. Reads are non-blocking (the latest published quote). */
public interface MarketData {

  /** The latest quote, or null for a symbol the feed does not carry. */
  Quote quote(String symbol);

  record Quote(String symbol, BigDecimal bid, BigDecimal ask, Instant time) {
    public BigDecimal touch(Side side) {
      return side == Side.BUY ? ask : bid;
    }
  }
}
