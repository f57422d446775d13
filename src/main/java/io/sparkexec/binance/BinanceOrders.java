package io.sparkexec.binance;

import io.sparkexec.http.Json;
import io.sparkexec.venue.Venue.Fill;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Binance's order shapes (the order response, the execution report, a trade, exchangeInfo's
 * filter and rate-limit objects), rendered from one neutral {@link View} that the simulator
 * builds from its venue orders and the front door from the executor's orders.
 */
public final class BinanceOrders {

  private BinanceOrders() {}

  /**
   * One order as Binance shows it. {@code price}: the limit price (zero for MARKET); {@code fills}: every fill so far,
   * each trade id a number; {@code time}: when it was placed, {@code updateTime}: its last change.
   */
  public record View(String symbol, long orderId, String clientOrderId, BigDecimal price, BigDecimal origQty, String status,
      String timeInForce, String type, String side, long time, long updateTime, List<Fill> fills) {

    public BigDecimal executedQty() {
      BigDecimal executed = BigDecimal.ZERO;
      for (Fill f : fills) executed = executed.add(f.quantity());
      return executed;
    }

    public BigDecimal cummulativeQuoteQty() {
      BigDecimal quote = BigDecimal.ZERO;
      for (Fill f : fills) quote = quote.add(f.price().multiply(f.quantity()));
      return quote;
    }
  }

  /** What a place answer carries (newOrderRespType): ACK the ids, RESULT the order, FULL the order and its fills. */
  public enum RespType {
    ACK,
    RESULT,
    FULL
  }

  public record FillJson(BigDecimal price, BigDecimal qty, BigDecimal commission, String commissionAsset, long tradeId) {}

  /** Binance's FULL order response. */
  public record OrderJson(String symbol, long orderId, long orderListId, String clientOrderId, long transactTime, BigDecimal price,
      BigDecimal origQty, BigDecimal executedQty, BigDecimal cummulativeQuoteQty, String status, String timeInForce, String type, String side,
      List<FillJson> fills) {}

  /** A query's or listing's order: time and updateTime in place of transactTime, no fills. */
  public record QueriedJson(String symbol, long orderId, long orderListId, String clientOrderId, BigDecimal price, BigDecimal origQty,
      BigDecimal executedQty, BigDecimal cummulativeQuoteQty, String status, String timeInForce, String type, String side, BigDecimal stopPrice,
      BigDecimal icebergQty, long time, long updateTime, boolean isWorking, BigDecimal origQuoteOrderQty) {}

  public record AckJson(String symbol, long orderId, long orderListId, String clientOrderId, long transactTime) {}

  public static OrderJson full(View v) {
    List<FillJson> fills = new ArrayList<>(v.fills().size());
    for (Fill f : v.fills()) fills.add(new FillJson(f.price(), f.quantity(), f.fee(), f.feeAsset(), tradeId(f)));
    return new OrderJson(v.symbol(), v.orderId(), -1, v.clientOrderId(), v.updateTime(), v.price(), v.origQty(), v.executedQty(),
        v.cummulativeQuoteQty(), v.status(), v.timeInForce(), v.type(), v.side(), fills);
  }

  /** The place answer of this respType. */
  public static Object placed(View v, RespType respType) {
    return switch (respType) {
      case ACK -> new AckJson(v.symbol(), v.orderId(), -1, v.clientOrderId(), v.time());
      case RESULT -> {
        OrderJson f = full(v);
        yield new OrderJson(f.symbol(), f.orderId(), -1, f.clientOrderId(), f.transactTime(), f.price(), f.origQty(), f.executedQty(),
            f.cummulativeQuoteQty(), f.status(), f.timeInForce(), f.type(), f.side(), null);
      }
      case FULL -> full(v);
    };
  }

  public static QueriedJson queried(View v) {
    return new QueriedJson(v.symbol(), v.orderId(), -1, v.clientOrderId(), v.price(), v.origQty(), v.executedQty(), v.cummulativeQuoteQty(),
        v.status(), v.timeInForce(), v.type(), v.side(), BigDecimal.ZERO, BigDecimal.ZERO, v.time(), v.updateTime(), true, BigDecimal.ZERO);
  }

  /** A trade id as Binance's number: ours when it is one, else a stable number made from it. */
  public static long tradeId(Fill f) {
    Long n = BinanceErrors.number(f.tradeId());
    return n != null ? n : positiveHash(f.tradeId());
  }

  // 2^53 - 1: JavaScript clients (ccxt) parse JSON numbers as doubles, exact only up to here
  private static final long MAX_SAFE_INTEGER = (1L << 53) - 1;

  /** A stable positive 53-bit number for a text id (FNV-1a 64, folded): the same text always gives the same number. */
  public static long positiveHash(String text) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < text.length(); i++) {
      h ^= text.charAt(i);
      h *= 0x100000001b3L;
    }
    return (h ^ (h >>> 53)) & MAX_SAFE_INTEGER;
  }

  /** One of myTrades' trades. {@code id}: the trade's number. */
  public static Map<String, Object> trade(String symbol, long orderId, Fill fill, long id, boolean buyer, boolean maker) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("symbol", symbol);
    m.put("id", id);
    m.put("orderId", orderId);
    m.put("orderListId", -1);
    m.put("price", fill.price());
    m.put("qty", fill.quantity());
    m.put("quoteQty", fill.price().multiply(fill.quantity()));
    m.put("commission", fill.fee());
    m.put("commissionAsset", fill.feeAsset());
    m.put("time", fill.time().toEpochMilli());
    m.put("isBuyer", buyer);
    m.put("isMaker", maker);
    m.put("isBestMatch", true);
    return m;
  }

  /**
   * Binance's executionReport frame as JSON text. {@code last}: the fill this report is about
   * (executionType TRADE), or null: the report then carries no trade ({@code t} = -1).
   */
  public static String executionReport(View v, String executionType, Fill last, long eventTime) {
    Map<String, Object> frame = new LinkedHashMap<>();
    frame.put("e", "executionReport");
    frame.put("E", eventTime);
    frame.put("s", v.symbol());
    frame.put("c", v.clientOrderId());
    frame.put("S", v.side());
    frame.put("o", v.type());
    frame.put("f", v.timeInForce());
    frame.put("q", v.origQty());
    frame.put("p", v.price());
    frame.put("x", executionType);
    frame.put("X", v.status());
    frame.put("i", v.orderId());
    frame.put("l", last == null ? BigDecimal.ZERO : last.quantity());
    frame.put("L", last == null ? BigDecimal.ZERO : last.price());
    frame.put("n", last == null ? BigDecimal.ZERO : last.fee());
    frame.put("N", last == null ? null : last.feeAsset());
    frame.put("T", v.updateTime());
    frame.put("t", last == null ? -1L : tradeId(last));
    frame.put("z", v.executedQty());
    frame.put("Z", v.cummulativeQuoteQty());
    frame.put("O", v.time());
    return new String(Json.bytes(frame), StandardCharsets.UTF_8);
  }

  /** GET /api/v3/account's answer: a spot account that trades and moves no funds, at {@code feeRate} (0.001 = 10 bps). */
  public static Map<String, Object> account(BigDecimal feeRate, Object balances, long updateTime) {
    Map<String, Object> a = new LinkedHashMap<>();
    int bps = feeRate.movePointRight(4).intValue();
    a.put("makerCommission", bps);
    a.put("takerCommission", bps);
    a.put("buyerCommission", 0);
    a.put("sellerCommission", 0);
    a.put("commissionRates", Map.of("maker", feeRate, "taker", feeRate, "buyer", BigDecimal.ZERO, "seller", BigDecimal.ZERO));
    a.put("canTrade", true);
    a.put("canWithdraw", false);
    a.put("canDeposit", false);
    a.put("brokered", false);
    a.put("requireSelfTradePrevention", false);
    a.put("preventSor", false);
    a.put("updateTime", updateTime);
    a.put("accountType", "SPOT");
    a.put("balances", balances);
    a.put("permissions", List.of("SPOT"));
    return a;
  }

  /** A filter object in Binance's field order: filterType, then name/value pairs. */
  public static Map<String, Object> filter(String type, Object... pairs) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("filterType", type);
    for (int i = 0; i < pairs.length; i += 2) f.put((String) pairs[i], pairs[i + 1]);
    return f;
  }

  /** An exchangeInfo rateLimits entry; {@code interval} SECOND, MINUTE or DAY. */
  public static Map<String, Object> rateLimit(String type, String interval, int intervalNum, int limit) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("rateLimitType", type);
    m.put("interval", interval);
    m.put("intervalNum", intervalNum);
    m.put("limit", limit);
    return m;
  }

  /** exchangeInfo's rate limits for these settings (windows of whole seconds or minutes). */
  public static List<Map<String, Object>> rateLimits(RateLimits.Settings s) {
    return List.of(window("REQUEST_WEIGHT", s.weightWindow(), s.weightLimit()), window("ORDERS", s.ordersWindow(), s.ordersLimit()));
  }

  private static Map<String, Object> window(String type, java.time.Duration window, int limit) {
    long seconds = window.toSeconds();
    return seconds % 60 == 0 ? rateLimit(type, "MINUTE", (int) (seconds / 60), limit) : rateLimit(type, "SECOND", (int) seconds, limit);
  }

  /** The symbol fields stock clients read (ccxt reads orderTypes before it places, and the filters for precision). */
  public static Map<String, Object> symbol(String symbol, String baseAsset, String quoteAsset, int assetPrecision, List<Map<String, Object>> filters) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("symbol", symbol);
    s.put("status", "TRADING");
    s.put("baseAsset", baseAsset);
    s.put("baseAssetPrecision", assetPrecision);
    s.put("quoteAsset", quoteAsset);
    s.put("quotePrecision", assetPrecision);
    s.put("quoteAssetPrecision", assetPrecision);
    s.put("baseCommissionPrecision", assetPrecision);
    s.put("quoteCommissionPrecision", assetPrecision);
    s.put("orderTypes", List.of("LIMIT", "MARKET"));
    s.put("icebergAllowed", false);
    s.put("ocoAllowed", false);
    s.put("otoAllowed", false);
    s.put("quoteOrderQtyMarketAllowed", true);
    s.put("allowTrailingStop", false);
    s.put("cancelReplaceAllowed", false);
    s.put("isSpotTradingAllowed", true);
    s.put("isMarginTradingAllowed", false);
    s.put("filters", filters);
    s.put("permissions", List.of());
    s.put("permissionSets", List.of(List.of("SPOT")));
    s.put("defaultSelfTradePreventionMode", "NONE");
    s.put("allowedSelfTradePreventionModes", List.of("NONE"));
    return s;
  }
}
