package io.sparkexec.feed;

import java.util.Locale;
import java.util.Optional;

/** What a client can subscribe to; every frame the server sends names its channel. */
public enum Channel {
  ORDERS,
  MARKET,
  QUEUE,
  SYSTEM;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Channel> parse(String s) {
    for (Channel c : values()) if (c.wireName().equals(s.trim())) return Optional.of(c);
    return Optional.empty();
  }
}
