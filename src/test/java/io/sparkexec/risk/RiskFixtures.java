package io.sparkexec.risk;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.order.OrderRequest;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import java.io.File;
import java.math.BigDecimal;
import java.util.Map;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;

/** What the risk room's actor-level tests share: the test kit config, the configured limits, requests. */
final class RiskFixtures {

  private RiskFixtures() {}

  static final Config KIT_CONFIG = EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseString(
      "pekko.actor.serialization-bindings { \"io.sparkexec.CborSerializable\" = jackson-cbor }"));

  private static final Config RISK = ConfigFactory.parseFile(new File("conf/risk.conf")).resolve().getConfig("spark.risk");

  /** The limits as conf/risk.conf sets them. */
  static final Map<Limit, BigDecimal> DEFAULTS = Limit.fromConfig(RISK.getConfig("limits"));

  /** The node-wide bounds as conf/risk.conf sets them. */
  static final RiskBook.NodeBounds NODE = Risk.Settings.nodeBounds(RISK.getConfig("node"));

  static OrderRequest limitOrder(String id, String strategy, String symbol, Side side, String qty, String price) {
    return new OrderRequest(id, symbol, side, OrderType.LIMIT, TimeInForce.GTC, new BigDecimal(qty), new BigDecimal(price), strategy,
        OrderRequest.RespType.ACKNOWLEDGED);
  }

  static OrderRequest marketOrder(String id, String strategy, String symbol, Side side, String qty) {
    return new OrderRequest(id, symbol, side, OrderType.MARKET, TimeInForce.IOC, new BigDecimal(qty), null, strategy,
        OrderRequest.RespType.ACKNOWLEDGED);
  }
}
