package io.sparkexec.venue.sim;

import com.typesafe.config.Config;
import io.sparkexec.binance.RateLimits;
import java.io.File;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/** spark.venue-sim (conf/venue-sim.conf). */
record VenueSimSettings(
    String host,
    int port,
    File dataDir,
    boolean fsync,
    int journalMaxBatch,
    String apiKey,
    String apiSecret,
    RateLimits.Settings rateLimits,
    int maxBatchOrders,
    Duration listenKeyTtl,
    int userStreamBuffer,
    Duration bodyReadTimeout,
    long maxBodyBytes,
    Map<String, BigDecimal> balances,
    int historyOrders,
    int historyTrades,
    int maxOpenOrders) {

  static VenueSimSettings fromConfig(Config sim) {
    Config limits = sim.getConfig("rate-limits");
    return new VenueSimSettings(
        sim.getString("host"),
        sim.getInt("port"),
        new File(sim.getString("data-dir")),
        sim.getBoolean("fsync"),
        sim.getInt("journal-max-batch"),
        sim.getString("api-key"),
        sim.getString("api-secret"),
        RateLimits.Settings.perSecond(
            limits.getInt("request-weight-per-second"),
            limits.getInt("orders-per-second"),
            limits.getInt("ban-after-requests"),
            limits.getDuration("ban-duration")),
        sim.getInt("max-batch-orders"),
        sim.getDuration("listen-key-ttl"),
        sim.getInt("user-stream-buffer"),
        sim.getDuration("body-read-timeout"),
        sim.getBytes("max-body-bytes"),
        balances(sim.getConfig("balances")),
        sim.getInt("history.max-orders"),
        sim.getInt("history.max-trades"),
        sim.getInt("max-open-orders-per-symbol"));
  }

  private static Map<String, BigDecimal> balances(Config balances) {
    Map<String, BigDecimal> seed = new TreeMap<>();
    for (String asset : balances.root().keySet()) seed.put(asset, new BigDecimal(balances.getString(asset)));
    return Map.copyOf(seed);
  }
}
