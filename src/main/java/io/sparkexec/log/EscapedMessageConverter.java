package io.sparkexec.log;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import org.slf4j.helpers.MessageFormatter;

/**
 * The log message ({@code %msg}, see conf/logback.xml) with every value escaped, so a value a
 * client sent (an unknown field's name, a reason, an id) cannot forge a log line or a key=value
 * pair: one escaper for every log call, ours and the libraries'. A value filling a quoted
 * placeholder ({@code reason="{}"}) has its quotes, backslashes and control characters escaped; a
 * value filling a bare one ({@code field={}}) is also quoted when it holds a space, '=' or '"'.
 * Control characters anywhere else in the message (text concatenated into it) are escaped too.
 */
public final class EscapedMessageConverter extends ClassicConverter {

  @Override
  public String convert(ILoggingEvent event) {
    String template = event.getMessage();
    Object[] args = event.getArgumentArray();
    if (template == null) return "null";
    if (args == null || args.length == 0) return escape(template, false);
    Object[] escaped = args.clone();
    int placeholder = 0;
    for (int i = template.indexOf("{}"); i >= 0 && placeholder < escaped.length; i = template.indexOf("{}", i + 2)) {
      if (i > 0 && template.charAt(i - 1) == '\\') continue; // an escaped "\{}" is literal text, as SLF4J reads it
      boolean quoted = i > 0 && template.charAt(i - 1) == '"';
      escaped[placeholder] = value(escaped[placeholder], quoted);
      placeholder++;
    }
    return escape(MessageFormatter.arrayFormat(template, escaped, null).getMessage(), false);
  }

  /** One value as it goes into a log line: escaped, and quoted when bare and it would read as more than one token. */
  static String value(Object v, boolean inQuotes) {
    String s = String.valueOf(v);
    String escaped = escape(s, true);
    boolean quote = !inQuotes && (s.isEmpty() || !escaped.equals(s) || s.indexOf(' ') >= 0 || s.indexOf('=') >= 0);
    return quote ? '"' + escaped + '"' : escaped;
  }

  /** Control characters as backslash escapes (n, r, t, or u and four hex digits); with {@code quotes}, also '"' and the backslash. */
  private static String escape(String s, boolean quotes) {
    StringBuilder b = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      String replacement = switch (c) {
        case '\\' -> quotes ? "\\\\" : null;
        case '"' -> quotes ? "\\\"" : null;
        case '\n' -> "\\n";
        case '\r' -> "\\r";
        case '\t' -> "\\t";
        default -> c < 0x20 || c == 0x7f ? String.format("\\u%04x", (int) c) : null;
      };
      if (replacement != null && b == null) b = new StringBuilder(s.length() + 8).append(s, 0, i);
      if (b != null) {
        if (replacement != null) b.append(replacement);
        else b.append(c);
      }
    }
    return b == null ? s : b.toString();
  }
}
