package io.sparkexec.order;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.Json;
import io.sparkexec.venue.OrderType;
import io.sparkexec.venue.Side;
import io.sparkexec.venue.TimeInForce;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OrderRequestTest {

  private static final String VALID_LIMIT =
      "{'clientOrderId':'c-1','symbol':'BTCUSDT','side':'BUY','type':'LIMIT','quantity':'0.001','price':'65000.10','strategy':'s1'}";

  private static JsonNode json(String singleQuoted) throws Exception {
    return Json.MAPPER.readTree(singleQuoted.replace('\'', '"'));
  }

  private static OrderRequest.Parsed parse(String body) throws Exception {
    return OrderRequest.parse(json(body), null, () -> "server-id");
  }

  /** Replaces or adds one field of the valid LIMIT body; value NULL removes it. */
  private static String withField(String field, String value) throws Exception {
    var node = (com.fasterxml.jackson.databind.node.ObjectNode) json(VALID_LIMIT);
    if (value.equals("NULL")) node.remove(field);
    else node.set(field, json("{'v':" + value + "}").get("v"));
    return node.toString().replace('"', '\'');
  }

  @ParameterizedTest(name = "{0}={1} -> {2}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      // field        | JSON value (NULL = absent)  | code
      "clientOrderId  | ''                          | INVALID_FORMAT",
      "clientOrderId  | 'has space'                 | INVALID_FORMAT",
      "clientOrderId  | '0123456789012345678901234567890123456' | INVALID_FORMAT",
      "clientOrderId  | 42                          | INVALID_TYPE",
      "symbol         | NULL                        | REQUIRED",
      "symbol         | null                        | REQUIRED",
      "symbol         | 'btcusdt'                   | INVALID_FORMAT",
      "symbol         | 'B'                         | INVALID_FORMAT",
      "symbol         | 7                           | INVALID_TYPE",
      "side           | NULL                        | REQUIRED",
      "side           | 'buy'                       | INVALID_VALUE",
      "side           | 1                           | INVALID_VALUE",
      "type           | NULL                        | REQUIRED",
      "type           | 'STOP'                      | INVALID_VALUE",
      "timeInForce    | 'DAY'                       | INVALID_VALUE",
      "quantity       | NULL                        | REQUIRED",
      "quantity       | 'abc'                       | INVALID_DECIMAL",
      "quantity       | '1e3'                       | INVALID_DECIMAL",
      "quantity       | '+1'                        | INVALID_DECIMAL",
      "quantity       | '1.'                        | INVALID_DECIMAL",
      "quantity       | '0.0000000000000000001'     | INVALID_DECIMAL",
      "quantity       | 0.0000000000000000001       | INVALID_DECIMAL",
      "quantity       | 1e20                        | INVALID_DECIMAL",
      "quantity       | true                        | INVALID_DECIMAL",
      "quantity       | '0'                         | MUST_BE_POSITIVE",
      "quantity       | '-1'                        | MUST_BE_POSITIVE",
      "quantity       | 0                           | MUST_BE_POSITIVE",
      "quantity       | -0.5                        | MUST_BE_POSITIVE",
      "price          | NULL                        | REQUIRED",
      "price          | 'x'                         | INVALID_DECIMAL",
      "price          | '0.00'                      | MUST_BE_POSITIVE",
      "strategy       | ''                          | INVALID_FORMAT",
      "strategy       | 'a b'                       | INVALID_FORMAT",
      "strategy       | 5                           | INVALID_TYPE",
      "respType       | 'FULL'                      | INVALID_VALUE",
      "respType       | 'result'                    | INVALID_VALUE",
      "leverage       | 10                          | UNKNOWN_FIELD",
  })
  void rejectsMalformedField(String field, String value, String code) throws Exception {
    OrderRequest.Parsed parsed = parse(withField(field, value));
    assertNull(parsed.request());
    assertNotNull(parsed.rejection(), "expected a rejection for " + field + "=" + value);
    assertEquals(field, parsed.rejection().field());
    assertEquals(code, parsed.rejection().code());
    assertEquals(Rejection.Kind.INVALID, parsed.rejection().kind());
  }

  @ParameterizedTest(name = "{0} -> {1}/{2}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "{'symbol':'BTCUSDT','side':'SELL','type':'MARKET','quantity':'1','price':'10'}                    | price       | NOT_ALLOWED",
      "{'symbol':'BTCUSDT','side':'SELL','type':'MARKET','quantity':'1','timeInForce':'GTC'}             | timeInForce | NOT_ALLOWED",
      "{'symbol':'BTCUSDT','side':'SELL','type':'MARKET','quantity':'1','timeInForce':'FOK'}             | timeInForce | NOT_ALLOWED",
      "{'symbol':'BTCUSDT','side':'SELL','type':'LIMIT','quantity':'1'}                                  | price       | REQUIRED",
      // the first bad field in reading order is the one named
      "{'symbol':'bad','side':'NOPE','type':'LIMIT','quantity':'1','price':'1'}                          | symbol      | INVALID_FORMAT",
  })
  void rejectsInconsistentOrders(String body, String field, String code) throws Exception {
    OrderRequest.Parsed parsed = parse(body);
    assertNull(parsed.request());
    assertEquals(field, parsed.rejection().field());
    assertEquals(code, parsed.rejection().code());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {"[]", "'a string'", "42", "null"})
  void rejectsBodiesThatAreNotObjects(String body) throws Exception {
    OrderRequest.Parsed parsed = parse(body);
    assertNull(parsed.request());
    assertNull(parsed.rejection().field());
    assertEquals("NOT_AN_OBJECT", parsed.rejection().code());
  }

  @Test
  void rejectsMissingBody() {
    assertEquals("NOT_AN_OBJECT", OrderRequest.parse(null, null, () -> "x").rejection().code());
  }

  @Test
  void acceptsValidLimitOrderWithDecimalStrings() throws Exception {
    OrderRequest r = parse(VALID_LIMIT).request();
    assertEquals(new OrderRequest("c-1", "BTCUSDT", Side.BUY, OrderType.LIMIT, TimeInForce.GTC, new BigDecimal("0.001"),
        new BigDecimal("65000.10"), "s1", OrderRequest.RespType.ACKNOWLEDGED), r);
    // exact decimals, scale kept: never a double on the way
    assertEquals(3, r.quantity().scale());
    assertEquals("65000.10", r.price().toPlainString());
  }

  @Test
  void acceptsJsonNumbersAsExactDecimals() throws Exception {
    OrderRequest r = parse("{'symbol':'ETHUSDT','side':'SELL','type':'LIMIT','quantity':0.1,'price':3200.05}").request();
    assertEquals(new BigDecimal("0.1"), r.quantity());
    assertEquals(new BigDecimal("3200.05"), r.price());
    OrderRequest whole = parse("{'symbol':'ETHUSDT','side':'SELL','type':'LIMIT','quantity':2,'price':3200}").request();
    assertEquals(0, whole.quantity().compareTo(BigDecimal.valueOf(2)));
  }

  @Test
  void defaultsTimeInForceByTypeAndAssignsClientOrderId() throws Exception {
    OrderRequest market = parse("{'symbol':'BTCUSDT','side':'BUY','type':'MARKET','quantity':'1'}").request();
    assertEquals(TimeInForce.IOC, market.timeInForce());
    assertEquals("server-id", market.clientOrderId());
    assertNull(market.price());
    assertNull(market.strategy());
    assertEquals(OrderRequest.RespType.ACKNOWLEDGED, market.respType());

    OrderRequest marketIoc = parse("{'symbol':'BTCUSDT','side':'BUY','type':'MARKET','quantity':'1','timeInForce':'IOC'}").request();
    assertEquals(TimeInForce.IOC, marketIoc.timeInForce());

    OrderRequest limit = parse("{'symbol':'BTCUSDT','side':'BUY','type':'LIMIT','quantity':'1','price':'1','timeInForce':'FOK'}").request();
    assertEquals(TimeInForce.FOK, limit.timeInForce());
  }

  @Test
  void respTypeComesFromBodyThenQueryParameter() throws Exception {
    JsonNode noRespType = json(VALID_LIMIT);
    assertEquals(OrderRequest.RespType.RESULT, OrderRequest.parse(noRespType, "RESULT", () -> "x").request().respType());
    JsonNode withRespType = json(withField("respType", "'ACCEPTED'"));
    assertEquals(OrderRequest.RespType.ACCEPTED, OrderRequest.parse(withRespType, "RESULT", () -> "x").request().respType());

    Rejection badParam = OrderRequest.parse(noRespType, "sometime", () -> "x").rejection();
    assertEquals("respType", badParam.field());
    assertEquals("INVALID_VALUE", badParam.code());
  }

  @Test
  void sameOrderAsComparesDecimalsByValueAndIgnoresRespType() throws Exception {
    OrderRequest a = parse(withField("price", "'0.10'")).request();
    OrderRequest b = OrderRequest.parse(json(withField("price", "0.1")), "RESULT", () -> "other").request();
    assertTrue(a.sameOrderAs(b));
    assertTrue(b.sameOrderAs(a));

    assertFalse(a.sameOrderAs(parse(withField("price", "'0.11'")).request()));
    assertFalse(a.sameOrderAs(parse(withField("quantity", "'0.002'")).request()));
    assertFalse(a.sameOrderAs(parse(withField("side", "'SELL'")).request()));
    assertFalse(a.sameOrderAs(parse(withField("strategy", "NULL")).request()));
    assertFalse(a.sameOrderAs(parse(withField("timeInForce", "'IOC'")).request()));
    OrderRequest market = parse("{'symbol':'BTCUSDT','side':'BUY','type':'MARKET','quantity':'0.001','strategy':'s1'}").request();
    assertFalse(a.sameOrderAs(market));
    assertFalse(market.sameOrderAs(a));
  }
}
