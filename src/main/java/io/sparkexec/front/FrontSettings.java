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
    Duration accountCache) {

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
        binance.getDuration("account-cache"));
    if (s.historyPerSymbol() < 1 || s.rememberedOrderIds() < 1) {
      throw new IllegalArgumentException("spark.binance.history-per-symbol and remembered-order-ids must be at least 1");
    }
    return s;
  }
}
