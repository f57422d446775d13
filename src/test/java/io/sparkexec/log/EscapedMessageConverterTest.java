package io.sparkexec.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What a client's value becomes in a log line: never a second line, never a second key=value pair. */
class EscapedMessageConverterTest {

  static final Logger LOGGER = new LoggerContext().getLogger("test");

  static String line(String template, Object... args) {
    return new EscapedMessageConverter().convert(new LoggingEvent("test", LOGGER, Level.INFO, template, null, args));
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(Named.of("plain value", "field={}"), "quantity", "field=quantity"),
        Arguments.of(Named.of("a forged line in a bare value", "field={}"), "x\n2026-12-02T00:00:00Z level=ERROR logger=Auth event=FORGED",
            "field=\"x\\n2026-12-02T00:00:00Z level=ERROR logger=Auth event=FORGED\""),
        Arguments.of(Named.of("a forged pair in a bare value", "field={} code=OK"), "x code=FORGED", "field=\"x code=FORGED\" code=OK"),
        Arguments.of(Named.of("quotes closed early in a quoted value", "reason=\"{}\""), "a\" admin=true \"", "reason=\"a\\\" admin=true \\\"\""),
        Arguments.of(Named.of("CR, NUL and DEL", "reason=\"{}\""), "a\rb\u0000c\u007f", "reason=\"a\\rb\\u0000c\\u007f\""),
        Arguments.of(Named.of("a backslash", "path={}"), "a\\b", "path=\"a\\\\b\""),
        Arguments.of(Named.of("empty", "strategy={}"), "", "strategy=\"\""),
        Arguments.of(Named.of("null", "strategy={}"), null, "strategy=null"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void aValueIsEscapedForItsPlaceholder(String template, Object value, String expected) {
    assertEquals(expected, line(template, value));
  }

  @org.junit.jupiter.api.Test
  void textConcatenatedIntoTheMessageCannotBreakTheLineEither() {
    String out = line("event=x detail=" + "a\nlevel=ERROR");
    assertFalse(out.contains("\n"), out);
    assertEquals("event=x detail=a\\nlevel=ERROR", out);
  }

  @org.junit.jupiter.api.Test
  void placeholdersKeepTheirOrderAndExtraArgumentsAreLeftAlone() {
    assertEquals("a=1 b=\"x y\" c=3", line("a={} b={} c={}", 1, "x y", 3, new IllegalStateException("not in the message")));
  }
}
