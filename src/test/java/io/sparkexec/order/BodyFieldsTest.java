package io.sparkexec.order;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.Json;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The shared body reader: the rules other rooms' endpoints rely on beyond the order body's. */
class BodyFieldsTest {

  private static BodyFields fields(String json, String... allowed) throws Exception {
    JsonNode body = Json.MAPPER.readTree(json);
    return new BodyFields(body, Set.of(allowed));
  }

  private static void assertRule(BodyFields f, String field, String code) {
    assertEquals(field, f.rejection().field());
    assertEquals(code, f.rejection().code());
  }

  @Test
  void zeroIsAllowedOnlyWhereAsked() throws Exception {
    assertEquals(0, BigDecimal.ZERO.compareTo(fields("{\"v\":\"0\"}", "v").decimal("v", true, true)));
    BodyFields positive = fields("{\"v\":0}", "v");
    assertNull(positive.decimal("v", true, false));
    assertRule(positive, "v", "MUST_BE_POSITIVE");
    BodyFields negative = fields("{\"v\":\"-1\"}", "v");
    assertNull(negative.decimal("v", true, true));
    assertRule(negative, "v", "MUST_NOT_BE_NEGATIVE");
  }

  @Test
  void textIsNonEmptyAndBounded() throws Exception {
    assertEquals("halt", fields("{\"reason\":\"halt\"}", "reason").text("reason", true, 4));
    BodyFields tooLong = fields("{\"reason\":\"halted\"}", "reason");
    assertNull(tooLong.text("reason", true, 4));
    assertRule(tooLong, "reason", "TOO_LONG");
    BodyFields blank = fields("{\"reason\":\" \"}", "reason");
    blank.text("reason", true, 10);
    assertRule(blank, "reason", "INVALID_TYPE");
  }

  @Test
  void firstRuleBrokenWinsAndLaterReadsReturnNull() throws Exception {
    BodyFields f = fields("{\"n\":1.5,\"b\":\"yes\"}", "n", "b");
    assertNull(f.wholeNumber("n"));
    assertFalse(f.bool("b"));
    assertRule(f, "n", "INVALID_TYPE");
  }

  @Test
  void unknownFieldsAndNonObjectsAreRefusedUpFront() throws Exception {
    assertRule(fields("{\"x\":1}", "v"), "x", "UNKNOWN_FIELD");
    assertEquals("NOT_AN_OBJECT", fields("[1]", "v").rejection().code());
  }

  /**
   * Numbers another reader let through (data journaled before the strict reader, trees built in
   * code): refused by their digit counts alone, before any arithmetic. The plain form of 1e999999999
   * has a billion digits: printing or rounding it would run for minutes.
   */
  @ParameterizedTest
  @ValueSource(strings = {"1e999999999", "1e-999999999", "-1e999999999", "1e19"})
  void decimalsWithHugeExponentsAreRefusedAtOnce(String number) {
    BodyFields f = new BodyFields(Json.MAPPER.createObjectNode().put("quantity", new BigDecimal(number)), Set.of("quantity"));
    assertTimeoutPreemptively(Duration.ofSeconds(2), () -> assertNull(f.decimal("quantity", true, false)));
    assertRule(f, "quantity", "INVALID_DECIMAL");
  }

  @Test
  void aTenThousandDigitFractionIsRefusedAtOnce() {
    BigDecimal tiny = new BigDecimal("0." + "0".repeat(10_000) + "1");
    BodyFields f = new BodyFields(Json.MAPPER.createObjectNode().put("price", tiny), Set.of("price"));
    assertTimeoutPreemptively(Duration.ofSeconds(2), () -> assertNull(f.decimal("price", true, false)));
    assertRule(f, "price", "INVALID_DECIMAL");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1e999999999", "1e-999999999", "1e19"})
  void wholeNumbersWithHugeExponentsAreRefusedAtOnce(String number) {
    BodyFields f = new BodyFields(Json.MAPPER.createObjectNode().put("windowMs", new BigDecimal(number)), Set.of("windowMs"));
    assertTimeoutPreemptively(Duration.ofSeconds(2), () -> assertNull(f.wholeNumber("windowMs")));
    assertRule(f, "windowMs", "INVALID_TYPE");
  }
}
