package io.sparkexec.order;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.http.Json;
import java.math.BigDecimal;
import java.util.Set;
import org.junit.jupiter.api.Test;

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
}
