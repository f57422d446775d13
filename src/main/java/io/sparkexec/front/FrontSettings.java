package io.sparkexec.front;

import com.typesafe.config.Config;
import io.sparkexec.binance.RateLimits;
import java.time.Duration;

/** spark.binance (conf/binance.conf). */
public record FrontSettings(
    boolean enabled,
    String host,
    int port,
    RateLimits.Settings rateLimits,
    long maxBodyBytes,
    Duration bodyReadTimeout,
    int historyPerSymbol,
    int rememberedOrderIds,
    Duration accountCache,
    UserStreams.Settings userStream) {

  public static FrontSettings fromConfig(Config binance) {
    Config limits = binance.getConfig("rate-limits");
    FrontSettings s = new FrontSettings(
        binance.getBoolean("enabled"),
        binance.getString("host"),
        binance.getInt("port"),
        new RateLimits.Settings(limits.getInt("request-weight-per-minute"), Duration.ofMinutes(1), limits.getInt("orders-per-10s"),
            Duration.ofSeconds(10), limits.getInt("ban-after-requests"), limits.getDuration("ban-duration")),
        binance.getBytes("max-body-bytes"),
        binance.getDuration("body-read-timeout"),
        binance.getInt("history-per-symbol"),
        binance.getInt("remembered-order-ids"),
        binance.getDuration("account-cache"),
        new UserStreams.Settings(binance.getDuration("user-stream.listen-key-ttl"), binance.getInt("user-stream.buffer"),
            binance.getInt("user-stream.max-connections-per-key"), binance.getInt("user-stream.event-queue")));
    if (s.historyPerSymbol() < 1 || s.rememberedOrderIds() < 1 || s.userStream().buffer() < 1 || s.userStream().eventQueue() < 1) {
      throw new IllegalArgumentException("spark.binance.history-per-symbol and remembered-order-ids and user-stream.buffer/event-queue must be at least 1");
    }
    return s;
  }
}
