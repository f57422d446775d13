package io.sparkexec.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkexec.order.Rejection;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The refusal table of docs/binance-front.md: each of our refusals as the Binance error and status a bot handles. */
class FrontRefusalsTest {

  @ParameterizedTest
  @CsvSource({
      "RULE, UNKNOWN_SYMBOL, 400, -1121, Invalid symbol.",
      "RULE, MIN_QTY, 400, -1013, Filter failure: LOT_SIZE",
      "RULE, MAX_QTY, 400, -1013, Filter failure: LOT_SIZE",
      "RULE, STEP_SIZE, 400, -1013, Filter failure: LOT_SIZE",
      "RULE, TICK_SIZE, 400, -1013, Filter failure: PRICE_FILTER",
      "RULE, MIN_NOTIONAL, 400, -1013, Filter failure: NOTIONAL",
      "LOCKED, TRADING_HALTED, 400, -2010, TRADING_HALTED: why",
      "LOCKED, TRADING_REDUCING, 400, -2010, TRADING_REDUCING: why",
      "RULE, RISK_LIMIT, 400, -2010, RISK_LIMIT: why",
      "FORBIDDEN, STRATEGY_NOT_PERMITTED, 400, -2010, STRATEGY_NOT_PERMITTED: why",
      "TOO_MANY, TOO_MANY_IN_FLIGHT, 429, -1015, Too many new orders; TOO_MANY_IN_FLIGHT: why",
      "TOO_MANY, RATE_LIMIT, 429, -1015, Too many new orders; RATE_LIMIT: why",
      "UNAVAILABLE, NOT_READY, 503, -1001, Service unavailable; NOT_READY: why",
  })
  void eachRefusalHasItsBinanceError(Rejection.Kind kind, String code, int status, int binanceCode, String msgStart) {
    HttpResponse r = FrontOrders.refused(new Rejection(kind, code, "why", null, Map.of()));
    assertEquals(status, r.status().intValue());
    String body = ((HttpEntity.Strict) r.entity()).getData().utf8String();
    assertTrue(body.contains("\"code\":" + binanceCode), body);
    assertTrue(body.contains("\"msg\":\"" + msgStart), body);
    if (status == 429 || status == 503) assertTrue(r.getHeader("Retry-After").isPresent(), "told when to come back");
  }
}
