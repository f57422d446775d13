package io.sparkexec.venue;

public enum Side {
  BUY,
  SELL
}
