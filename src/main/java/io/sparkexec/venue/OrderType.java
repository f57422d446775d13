package io.sparkexec.venue;

public enum OrderType {
  MARKET,
  LIMIT
}
