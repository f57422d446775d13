package io.sparkexec.venue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The client side of docs/venue-sim.md (Binance spot's dialect): query strings out, orders and
 * execution reports in, as {@link Venue}'s records. Decimals travel as strings, never doubles.
 */
public final class BinanceWire {

  static final ObjectMapper MAPPER = new ObjectMapper();

  private BinanceWire() {}

  /** {@code k=v&k=v}, URL-encoded, in the map's order (the exact string that gets signed). */
  public static String query(Map<String, String> params) {
    StringBuilder q = new StringBuilder(64 * Math.max(1, params.size()));
    for (Map.Entry<String, String> p : params.entrySet()) {
      if (q.length() > 0) q.append('&');
      q.append(URLEncoder.encode(p.getKey(), StandardCharsets.UTF_8)).append('=').append(URLEncoder.encode(p.getValue(), StandardCharsets.UTF_8));
    }
    return q.toString();
  }

  /** The place fields of one order, for POST /api/v3/order's query string. */
  static void putOrder(Map<String, String> params, Venue.VenueOrder o) {
    params.put("symbol", o.symbol());
    params.put("side", o.side().name());
    params.put("type", o.type().name());
    if (o.type() == OrderType.LIMIT) {
      params.put("timeInForce", o.timeInForce().name());
      params.put("price", o.price().toPlainString());
    }
    params.put("quantity", o.quantity().toPlainString());
    params.put("newClientOrderId", o.clientOrderId());
  }

  /** The batchOrders parameter: a JSON array of the orders' place fields. */
  static String batch(List<Venue.VenueOrder> orders) {
    ArrayNode array = MAPPER.createArrayNode();
    for (Venue.VenueOrder o : orders) {
      ObjectNode n = array.addObject();
      n.put("symbol", o.symbol());
      n.put("side", o.side().name());
      n.put("type", o.type().name());
      if (o.type() == OrderType.LIMIT) {
        n.put("timeInForce", o.timeInForce().name());
        n.put("price", o.price().toPlainString());
      }
      n.put("quantity", o.quantity().toPlainString());
      n.put("newClientOrderId", o.clientOrderId());
    }
    return array.toString();
  }

  static JsonNode parse(String body) {
    try {
      return MAPPER.readTree(body);
    } catch (IOException e) {
      throw new UncheckedIOException("venue answered invalid JSON: " + abbreviate(body), e);
    }
  }

  /** An error body {@code {"code":-1013,"msg":"..."}}, or null when the node is not one. */
  static VenueError error(JsonNode n) {
    if (n == null || !n.isObject() || !n.has("code") || n.has("clientOrderId")) return null;
    return new VenueError(n.path("code").asInt(), n.path("msg").asText(""));
  }

  record VenueError(int code, String msg) {
    @Override
    public String toString() {
      return code + " " + msg;
    }
  }

  /** An order as every order endpoint answers it; its fills are all fills so far. */
  static Venue.VenueOrderReport order(JsonNode n) {
    Venue.VenueStatus status = Venue.VenueStatus.valueOf(n.path("status").asText());
    long millis = firstTime(n, "updateTime", "transactTime", "time");
    Instant time = millis > 0 ? Instant.ofEpochMilli(millis) : Instant.now();
    List<Venue.Fill> fills = new ArrayList<>();
    for (JsonNode f : n.path("fills")) {
      fills.add(new Venue.Fill(f.path("tradeId").asText(), decimal(f, "price"), decimal(f, "qty"), decimal(f, "commission"),
          f.path("commissionAsset").asText(), f.has("time") ? Instant.ofEpochMilli(f.path("time").asLong()) : time));
    }
    return new Venue.VenueOrderReport(n.path("clientOrderId").asText(), n.path("orderId").asText(), n.path("symbol").asText(), status,
        List.copyOf(fills), reason(status, n.path("msg").asText(null)), time, terms(n, "symbol", "side", "type", "origQty", "price"));
  }

  /**
   * An execution report from the user-data stream, carrying only the trade it reports (if any):
   * the order entity adds fills it has not seen by trade id, and a gap (frames missed while the
   * stream was down) is closed by the poll that follows every reconnect.
   */
  static Venue.VenueOrderReport executionReport(JsonNode n) {
    Venue.VenueStatus status = Venue.VenueStatus.valueOf(n.path("X").asText());
    Instant time = Instant.ofEpochMilli(n.has("T") ? n.path("T").asLong() : n.path("E").asLong());
    List<Venue.Fill> fills = "TRADE".equals(n.path("x").asText()) && n.path("t").asLong(-1) >= 0
        ? List.of(new Venue.Fill(n.path("t").asText(), decimal(n, "L"), decimal(n, "l"), decimal(n, "n"), n.path("N").asText(), time))
        : List.of();
    // Binance names the original id C on cancels (c is then the cancel request's own id)
    String clientOrderId = n.path("C").asText("").isEmpty() ? n.path("c").asText() : n.path("C").asText();
    return new Venue.VenueOrderReport(clientOrderId, n.path("i").asText(), n.path("s").asText(), status, fills,
        reason(status, n.path("r").asText(null)), time, terms(n, "s", "S", "o", "q", "p"));
  }

  /** One exchangeInfo symbol's filters; a filter type it does not list stays null (Binance's NOTIONAL replaced MIN_NOTIONAL). */
  static SymbolRule.Filters filters(JsonNode symbol) {
    BigDecimal tick = null;
    BigDecimal step = null;
    BigDecimal minQty = null;
    BigDecimal maxQty = null;
    BigDecimal minNotional = null;
    for (JsonNode f : symbol.path("filters")) {
      switch (f.path("filterType").asText()) {
        case "PRICE_FILTER" -> tick = optionalDecimal(f, "tickSize");
        case "LOT_SIZE" -> {
          step = optionalDecimal(f, "stepSize");
          minQty = optionalDecimal(f, "minQty");
          maxQty = optionalDecimal(f, "maxQty");
        }
        case "NOTIONAL", "MIN_NOTIONAL" -> minNotional = optionalDecimal(f, "minNotional");
        default -> { }
      }
    }
    return new SymbolRule.Filters(tick, step, minQty, maxQty, minNotional);
  }

  private static BigDecimal optionalDecimal(JsonNode n, String field) {
    String text = n.path(field).asText("");
    return text.isEmpty() ? null : new BigDecimal(text);
  }

  /** The order's terms under Binance's field names (a MARKET order's price is 0 there); null when the answer has no side and type. */
  private static Venue.VenueTerms terms(JsonNode n, String symbol, String side, String type, String quantity, String price) {
    if (!n.hasNonNull(side) || !n.hasNonNull(type)) return null;
    BigDecimal p = n.hasNonNull(price) ? decimal(n, price) : null;
    return new Venue.VenueTerms(n.path(symbol).asText(), n.path(side).asText(), n.path(type).asText(),
        n.hasNonNull(quantity) ? decimal(n, quantity) : null, p == null || p.signum() == 0 ? null : p);
  }

  private static String reason(Venue.VenueStatus status, String given) {
    if (given != null && !given.isEmpty() && !"NONE".equals(given)) return given;
    return status == Venue.VenueStatus.REJECTED ? "rejected by the venue" : null;
  }

  private static long firstTime(JsonNode n, String... fields) {
    for (String f : fields) if (n.has(f)) return n.path(f).asLong();
    return 0;
  }

  private static BigDecimal decimal(JsonNode n, String field) {
    String text = n.path(field).asText("0");
    return new BigDecimal(text.isEmpty() ? "0" : text);
  }

  static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }
}
