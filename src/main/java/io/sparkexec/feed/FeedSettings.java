package io.sparkexec.feed;

import com.typesafe.config.Config;
import java.time.Duration;

/** spark.feed (conf/feed.conf); each limit's trade-off is described next to its key there. */
public record FeedSettings(
    boolean compress,
    int deflateLevel,
    Duration pingInterval,
    Duration pongTimeout,
    int buffer,
    long maxInflatedBytes,
    int maxConnections,
    int maxConnectionsPerKey,
    Duration tokenTtl,
    int maxTokens,
    int maxTokensPerKey,
    Duration marketInterval,
    Duration closeTimeout,
    int recentlyClosed,
    int ordersRing) {

  public FeedSettings {
    if (deflateLevel < 1 || deflateLevel > 9) throw new IllegalArgumentException("WS_DEFLATE_LEVEL must be 1..9, not " + deflateLevel);
    if (buffer < 1) throw new IllegalArgumentException("WS_BUFFER must be at least 1");
    if (ordersRing < 1) throw new IllegalArgumentException("WS_ORDERS_RING must be at least 1");
  }

  public static FeedSettings fromConfig(Config feed) {
    return new FeedSettings(
        feed.getBoolean("compress"),
        feed.getInt("deflate-level"),
        Duration.ofSeconds(feed.getLong("ping-sec")),
        Duration.ofSeconds(feed.getLong("pong-timeout-sec")),
        feed.getInt("buffer"),
        feed.getBytes("max-inflated-bytes"),
        feed.getInt("max-connections"),
        feed.getInt("max-connections-per-key"),
        Duration.ofSeconds(feed.getLong("token-ttl-sec")),
        feed.getInt("max-tokens"),
        feed.getInt("max-tokens-per-key"),
        Duration.ofMillis(feed.getLong("market-interval-ms")),
        feed.getDuration("close-timeout"),
        feed.getInt("recently-closed"),
        feed.getInt("orders-ring"));
  }
}
