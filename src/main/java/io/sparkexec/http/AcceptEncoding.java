package io.sparkexec.http;

import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Accept-Encoding negotiation as RFC 9110 12.5.3 describes it, q-values in thousandths. */
final class AcceptEncoding {

  private AcceptEncoding() {}

  // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
  private static final Pattern QVALUE = Pattern.compile("0(\\.[0-9]{0,3})?|1(\\.0{0,3})?");
  private static final int UNLISTED = -1;
  // identity neither listed nor matched by "*": acceptable, but below any coding the client named
  private static final int IMPLICIT_IDENTITY = 1;

  /**
   * The coding to answer with: among {@code offered} (identity is always offered), the one of
   * highest q above 0, a tie going to the earlier in {@link ContentCoding}'s order. "*" stands for
   * every coding not listed, identity included. No header: identity, since the client stated no
   * preference. Nothing acceptable (identity;q=0 and nothing else): identity all the same, as RFC
   * 9110 lets a server ignore the field rather than answer 406. An element with a malformed q
   * counts as absent; a coding listed twice keeps its first q.
   */
  static ContentCoding negotiate(String header, Set<ContentCoding> offered) {
    if (header == null) return ContentCoding.IDENTITY;
    Map<ContentCoding, Integer> listed = new EnumMap<>(ContentCoding.class);
    int star = UNLISTED;
    for (String element : header.split(",")) {
      String[] parts = element.split(";");
      String name = parts[0].trim();
      int q = q(parts);
      if (name.isEmpty() || q == UNLISTED) continue;
      if (name.equals("*")) {
        if (star == UNLISTED) star = q;
      } else {
        final int weight = q;
        ContentCoding.of(name).ifPresent(c -> listed.putIfAbsent(c, weight));
      }
    }
    ContentCoding best = ContentCoding.IDENTITY;
    int bestQ = 0;
    for (ContentCoding c : ContentCoding.values()) {
      if (c != ContentCoding.IDENTITY && !offered.contains(c)) continue;
      int q = listed.getOrDefault(c, star != UNLISTED ? star : c == ContentCoding.IDENTITY ? IMPLICIT_IDENTITY : 0);
      if (q > bestQ) {
        best = c;
        bestQ = q;
      }
    }
    return best;
  }

  /** The element's q in thousandths (1000 without one), or UNLISTED when its q is malformed. */
  private static int q(String[] parts) {
    int q = 1000;
    for (int i = 1; i < parts.length; i++) {
      int eq = parts[i].indexOf('=');
      if (eq < 0 || !parts[i].substring(0, eq).trim().equalsIgnoreCase("q")) continue;
      String value = parts[i].substring(eq + 1).trim();
      if (!QVALUE.matcher(value).matches()) return UNLISTED;
      q = (int) Math.round(Double.parseDouble(value) * 1000);
    }
    return q;
  }
}
