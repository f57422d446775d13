package io.sparkexec.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The strict reader: each rule refused with its code and the field where the parser stopped; valid JSON read as before. */
class JsonTest {

  private static final Json.Limits LIMITS = new Json.Limits(100, 100, 32, 65536);
  private static final Json.Reader READER = new Json.Reader(LIMITS);

  record Case(byte[] bytes, int status, String code, String field) {}

  private static Named<Case> utf8(String name, String body, int status, String code, String field) {
    return Named.of(name, new Case(body.getBytes(StandardCharsets.UTF_8), status, code, field));
  }

  static Stream<Named<Case>> refused() {
    return Stream.of(
        utf8("duplicate key", "{\"quantity\":\"0.001\",\"quantity\":\"5\"}", 400, "DUPLICATE_KEY", "quantity"),
        utf8("duplicate key nested", "{\"jobs\":[{\"job\":\"a\"},{\"job\":\"b\",\"job\":\"c\"}]}", 400, "DUPLICATE_KEY", "jobs[1].job"),
        utf8("exponent past an int", "{\"quantity\":1e2147483648}", 400, "NUMBER_OUT_OF_RANGE", "quantity"),
        utf8("negative exponent past an int", "{\"a\":{\"b\":[1,1E-2147483649]}}", 400, "NUMBER_OUT_OF_RANGE", "a.b[1]"),
        utf8("exponent past the limit", "{\"price\":1e999999999}", 400, "NUMBER_OUT_OF_RANGE", "price"),
        utf8("tiny exponent past the limit", "{\"price\":1e-101}", 400, "NUMBER_OUT_OF_RANGE", "price"),
        utf8("1,201-digit number", "{\"quantity\":" + "1".repeat(1201) + "}", 400, "NUMBER_TOO_LONG", "quantity"),
        utf8("10,000-digit fraction", "{\"quantity\":0." + "0".repeat(10000) + "1}", 400, "NUMBER_TOO_LONG", "quantity"),
        utf8("deep nesting", "{\"data\":" + "[".repeat(40) + "]".repeat(40) + "}", 400, "NESTING_TOO_DEEP", null),
        utf8("trailing tokens", "{\"a\":1} {}", 400, "MALFORMED_JSON", "body"),
        utf8("not JSON", "{not json", 400, "MALFORMED_JSON", "body"),
        utf8("truncated", "{\"symbol\":", 400, "MALFORMED_JSON", "symbol"),
        Named.of("UTF-8 byte-order mark", new Case(bom("{\"a\":1}"), 415, "UNSUPPORTED_CHARSET", "body")),
        Named.of("UTF-16BE", new Case("{\"a\":1}".getBytes(StandardCharsets.UTF_16BE), 415, "UNSUPPORTED_CHARSET", "body")),
        Named.of("UTF-16LE", new Case("{\"a\":1}".getBytes(StandardCharsets.UTF_16LE), 415, "UNSUPPORTED_CHARSET", "body")),
        Named.of("UTF-16 with its byte-order mark", new Case("{\"a\":1}".getBytes(StandardCharsets.UTF_16), 415, "UNSUPPORTED_CHARSET", "body")),
        Named.of("invalid UTF-8 in a string", new Case(new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xE9, '"', '}'}, 400, "INVALID_UTF8",
            "body")));
  }

  private static byte[] bom(String s) {
    byte[] text = s.getBytes(StandardCharsets.UTF_8);
    byte[] b = new byte[text.length + 3];
    b[0] = (byte) 0xEF;
    b[1] = (byte) 0xBB;
    b[2] = (byte) 0xBF;
    System.arraycopy(text, 0, b, 3, text.length);
    return b;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void hostileJsonIsRefusedNamingTheRuleAndTheField(Case c) {
    Json.Parsed parsed = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> READER.read(c.bytes()), "refused quickly");
    assertNull(parsed.node());
    Json.Refusal r = parsed.refusal();
    assertNotNull(r, "refused");
    assertEquals(c.code(), r.code(), r::toString);
    assertEquals(c.status(), r.status(), r::toString);
    if (c.field() != null) assertEquals(c.field(), r.field(), r::toString);
    else assertTrue(r.field().startsWith("data[0][0]"), r::toString);
    assertTrue(r.field().length() <= 203, "a nesting bomb's path is cut short: " + r.field().length());
    assertTrue(!r.message().isBlank());
  }

  @Test
  void validJsonReadsAsTheMapperReadsIt() throws Exception {
    String body = "{\"quantity\":0.0010,\"price\":\"65000.00\",\"big\":1e100,\"small\":1.5e-99,\"n\":12,\"nested\":{\"a\":[true,null]}}";
    Json.Parsed parsed = READER.read(body.getBytes(StandardCharsets.UTF_8));
    assertNull(parsed.refusal(), () -> String.valueOf(parsed.refusal()));
    assertEquals(Json.MAPPER.readTree(body), parsed.node());
    assertEquals("0.001", parsed.node().get("quantity").decimalValue().toPlainString());
  }

  @Test
  void anEmptyBodyIsAMissingNode() {
    assertTrue(READER.read(new byte[0]).node().isMissingNode());
  }

  @Test
  void textWithAByteOrderMarkIsRefusedAndOtherwiseReadTheSame() {
    assertEquals("UNSUPPORTED_CHARSET", READER.read("\uFEFF{\"op\":\"subscribe\"}").refusal().code());
    assertEquals("DUPLICATE_KEY", READER.read("{\"op\":\"subscribe\",\"op\":\"x\"}").refusal().code());
    assertEquals("op", READER.read("{\"op\":\"subscribe\",\"op\":\"x\"}").refusal().field());
    assertEquals("subscribe", READER.read("{\"op\":\"subscribe\"}").node().get("op").textValue());
  }

  @Test
  void theLimitsAreTheConfigured() {
    Json.Limits limits = Json.Limits.fromConfig(ConfigFactory.parseString(
        "max-number-length = 10, max-exponent = 5, max-nesting-depth = 3, max-string-length = 20"));
    Json.Reader reader = new Json.Reader(limits);
    assertEquals("NUMBER_TOO_LONG", reader.read("{\"a\":12345678901}".getBytes(StandardCharsets.UTF_8)).refusal().code());
    assertEquals("NUMBER_OUT_OF_RANGE", reader.read("{\"a\":1e6}".getBytes(StandardCharsets.UTF_8)).refusal().code());
    assertNull(reader.read("{\"a\":1e5}".getBytes(StandardCharsets.UTF_8)).refusal());
    assertEquals("NESTING_TOO_DEEP", reader.read("{\"a\":[[[]]]}".getBytes(StandardCharsets.UTF_8)).refusal().code());
    assertEquals("STRING_TOO_LONG", reader.read(("{\"a\":\"" + "x".repeat(21) + "\"}").getBytes(StandardCharsets.UTF_8)).refusal().code());
    // the server's reader: conf/json.conf's 100 characters
    assertEquals(100, Json.parse(("{\"a\":" + "1".repeat(101) + "}").getBytes(StandardCharsets.UTF_8)).refusal().details().get("maxNumberLength"));
  }
}
