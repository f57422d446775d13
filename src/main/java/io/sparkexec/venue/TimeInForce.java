package io.sparkexec.venue;

/** GTC rests until filled or canceled; IOC fills what it can at once; FOK fills all at once or nothing. */
public enum TimeInForce {
  GTC,
  IOC,
  FOK
}
