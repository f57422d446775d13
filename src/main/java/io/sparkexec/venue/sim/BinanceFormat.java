package io.sparkexec.venue.sim;

import io.sparkexec.http.Json;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Venue;
import io.sparkexec.venue.Venue.Fill;
import io.sparkexec.venue.Venue.VenueOrder;
import io.sparkexec.venue.Venue.VenueOrderReport;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/** The simulator's wire shapes (docs/venue-sim.md): Binance's order, execution report and error. */
final class BinanceFormat {

  private BinanceFormat() {}

  /** An error answer: a Binance code (negative) and a sentence. */
  record Error(int code, String msg) {}

  record FillJson(BigDecimal price, BigDecimal qty, BigDecimal commission, String commissionAsset, long tradeId) {}

  /** Binance's FULL order response; {@code fills} always carries every fill so far. */
  record OrderJson(
      String symbol,
      long orderId,
      String clientOrderId,
      long transactTime,
      BigDecimal price,
      BigDecimal origQty,
      BigDecimal executedQty,
      BigDecimal cummulativeQuoteQty,
      String status,
      String timeInForce,
      String type,
      String side,
      List<FillJson> fills) {}

  static HttpResponse error(int status, int code, String msg) {
    return Json.response(StatusCodes.get(status), new Error(code, msg));
  }

  static OrderJson order(VenueOrder order, VenueOrderReport report) {
    BigDecimal executed = BigDecimal.ZERO;
    BigDecimal quote = BigDecimal.ZERO;
    List<FillJson> fills = new ArrayList<>(report.fills().size());
    for (Fill f : report.fills()) {
      executed = executed.add(f.quantity());
      quote = quote.add(f.price().multiply(f.quantity()));
      fills.add(new FillJson(f.price(), f.quantity(), f.fee(), f.feeAsset(), Long.parseLong(f.tradeId())));
    }
    // the venue's own terms where it has them: a request that met an existing order under its id
    // is answered with that order, as it is, not with the request's terms
    Venue.VenueTerms t = report.terms();
    if (t == null) t = new Venue.VenueTerms(order.symbol(), order.side().name(), order.type().name(), order.quantity(), order.price());
    return new OrderJson(t.symbol(), Long.parseLong(report.venueOrderId()), order.clientOrderId(), report.time().toEpochMilli(),
        t.price() != null ? t.price() : BigDecimal.ZERO, t.quantity(), executed, quote,
        report.status().name(), order.timeInForce().name(), t.type(), t.side(), fills);
  }

  /**
   * Binance's executionReport frame as JSON text. {@code executionType} TRADE describes the
   * report's last fill; any other type carries no trade ({@code t} = -1).
   */
  static String executionReport(VenueOrder order, VenueOrderReport report, String executionType, long eventTime) {
    BigDecimal executed = BigDecimal.ZERO;
    for (Fill f : report.fills()) executed = executed.add(f.quantity());
    Fill last = "TRADE".equals(executionType) && !report.fills().isEmpty() ? report.fills().get(report.fills().size() - 1) : null;
    Map<String, Object> frame = new LinkedHashMap<>();
    frame.put("e", "executionReport");
    frame.put("E", eventTime);
    frame.put("s", order.symbol());
    frame.put("c", order.clientOrderId());
    frame.put("S", order.side().name());
    frame.put("o", order.type().name());
    frame.put("f", order.timeInForce().name());
    frame.put("q", order.quantity());
    frame.put("p", order.type() == OrderType.LIMIT ? order.price() : BigDecimal.ZERO);
    frame.put("x", executionType);
    frame.put("X", report.status().name());
    frame.put("i", Long.parseLong(report.venueOrderId()));
    frame.put("l", last == null ? BigDecimal.ZERO : last.quantity());
    frame.put("L", last == null ? BigDecimal.ZERO : last.price());
    frame.put("n", last == null ? BigDecimal.ZERO : last.fee());
    frame.put("N", last == null ? null : last.feeAsset());
    frame.put("T", report.time().toEpochMilli());
    frame.put("t", last == null ? -1L : Long.parseLong(last.tradeId()));
    frame.put("z", executed);
    return new String(Json.bytes(frame), StandardCharsets.UTF_8);
  }
}
