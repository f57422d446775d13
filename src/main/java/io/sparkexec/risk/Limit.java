package io.sparkexec.risk;

import com.typesafe.config.Config;
import java.math.BigDecimal;
import java.util.EnumMap;
import java.util.Map;

/** The pre-trade limits: their config key, their API name, and whether they are whole numbers. */
public enum Limit {
  MAX_ORDER_QTY("max-order-qty", "maxOrderQty", false),
  MAX_ORDER_NOTIONAL("max-order-notional", "maxOrderNotional", false),
  PRICE_COLLAR_PCT("price-collar-pct", "priceCollarPct", false),
  DAILY_NOTIONAL_PER_SYMBOL("daily-notional-per-symbol", "dailyNotionalPerSymbol", false),
  DAILY_NOTIONAL_PER_STRATEGY("daily-notional-per-strategy", "dailyNotionalPerStrategy", false),
  MAX_OPEN_ORDERS_PER_STRATEGY("max-open-orders-per-strategy", "maxOpenOrdersPerStrategy", true),
  MAX_ORDERS_PER_SECOND_PER_STRATEGY("max-orders-per-second-per-strategy", "maxOrdersPerSecondPerStrategy", true);

  public final String configKey;
  public final String apiName;
  public final boolean whole;

  Limit(String configKey, String apiName, boolean whole) {
    this.configKey = configKey;
    this.apiName = apiName;
    this.whole = whole;
  }

  public static Limit byApiName(String name) {
    for (Limit l : values()) if (l.apiName.equals(name)) return l;
    return null;
  }

  /** Why {@code value} cannot be this limit, or null. */
  public String invalid(BigDecimal value) {
    if (value.signum() <= 0) return apiName + " must be greater than 0";
    if (whole && value.stripTrailingZeros().scale() > 0) return apiName + " must be a whole number";
    return null;
  }

  /** spark.risk.limits: every limit, validated, so a bad value stops the start with its key named. */
  public static Map<Limit, BigDecimal> fromConfig(Config limits) {
    Map<Limit, BigDecimal> m = new EnumMap<>(Limit.class);
    for (Limit l : values()) {
      BigDecimal v;
      try {
        v = new BigDecimal(limits.getString(l.configKey));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("spark.risk.limits." + l.configKey + " is not a number: " + limits.getString(l.configKey));
      }
      String why = l.invalid(v);
      if (why != null) throw new IllegalArgumentException("spark.risk.limits." + l.configKey + ": " + why);
      m.put(l, v);
    }
    return m;
  }

  /** The API view: apiName -> plain decimal string. */
  public static Map<String, String> toApi(Map<Limit, BigDecimal> limits) {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    limits.forEach((l, v) -> m.put(l.apiName, v.toPlainString()));
    return m;
  }
}
