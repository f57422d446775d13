package io.sparkexec.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Accept-Encoding negotiation, case by case (RFC 9110 12.5.3), with and without Brotli on offer. */
class AcceptEncodingTest {

  private static final Set<ContentCoding> ALL = EnumSet.of(ContentCoding.BR, ContentCoding.GZIP, ContentCoding.DEFLATE);
  private static final Set<ContentCoding> NO_BROTLI = EnumSet.of(ContentCoding.GZIP, ContentCoding.DEFLATE);

  @ParameterizedTest(name = "[{0}] -> {1} (without br: {2})")
  @CsvSource(delimiter = '|', nullValues = "NULL", value = {
      // header                              | with br  | without br
      "NULL                                  | IDENTITY | IDENTITY", // no header: no preference stated, identity
      "''                                    | IDENTITY | IDENTITY", // empty: identity only
      "br                                    | BR       | IDENTITY",
      "gzip                                  | GZIP     | GZIP",
      "deflate                               | DEFLATE  | DEFLATE",
      "x-gzip                                | GZIP     | GZIP",
      "gzip, br                              | BR       | GZIP",     // equal q: br preferred
      "gzip, deflate, br, zstd               | BR       | GZIP",     // curl --compressed
      "gzip, deflate, br, zstd, dcb, dcz     | BR       | GZIP",     // a current Chromium
      "deflate, gzip                         | GZIP     | GZIP",     // equal q: our order, not the client's
      "br;q=0                                | IDENTITY | IDENTITY",
      "br;q=0, gzip                          | GZIP     | GZIP",
      "gzip;q=1, br;q=0.5                    | GZIP     | GZIP",
      "gzip;q=0.5, br;q=0.5                  | BR       | GZIP",
      "gzip;q=0.8, br;q=0.9                  | BR       | GZIP",
      "br;q=0.001                            | BR       | IDENTITY", // the lowest non-zero q still beats unlisted identity
      "*                                     | BR       | GZIP",
      "*;q=0.1                               | BR       | GZIP",
      "*;q=0.1, gzip;q=0.2                   | GZIP     | GZIP",
      "*;q=0.3, br;q=0                       | GZIP     | GZIP",
      "*;q=0                                 | IDENTITY | IDENTITY", // everything refused: identity served all the same
      "*;q=0, identity;q=0.5                 | IDENTITY | IDENTITY",
      "*;q=0, deflate                        | DEFLATE  | DEFLATE",
      "identity;q=0                          | IDENTITY | IDENTITY", // refused, nothing else acceptable: identity served
      "identity;q=0, gzip                    | GZIP     | GZIP",
      "identity                              | IDENTITY | IDENTITY",
      "identity, gzip;q=0.5                  | IDENTITY | IDENTITY", // identity's q 1 beats gzip's 0.5
      "gzip;q=0.5, identity;q=0.6            | IDENTITY | IDENTITY",
      "compress, zstd                        | IDENTITY | IDENTITY", // nothing we serve
      "zstd, br;q=0.9, gzip;q=0.8            | BR       | GZIP",
      "BR                                    | BR       | IDENTITY", // codings are case-insensitive
      "GZip;Q=0.8, Br;q=0.9                  | BR       | GZIP",
      "'  gzip ;  q=0.8 ,  br ; q=0.7  '     | GZIP     | GZIP",     // whitespace around separators
      "',,gzip,,'                            | GZIP     | GZIP",     // empty elements
      "gzip;level=1;q=0.3, deflate;q=0.2     | GZIP     | GZIP",     // other parameters ignored
      "br;q=abc, gzip;q=0.1                  | GZIP     | GZIP",     // malformed q: the element counts as absent
      "br;q=1.5, gzip;q=0.1                  | GZIP     | GZIP",     // q above 1
      "br;q=-1, gzip;q=0.1                   | GZIP     | GZIP",     // negative q
      "br;q=0.0001, gzip;q=0.1               | GZIP     | GZIP",     // four decimals
      "br;q=, gzip;q=0.1                     | GZIP     | GZIP",     // empty q
      "br;q=1.000, gzip                      | BR       | GZIP",     // three zero decimals are fine
      "br;q=0., gzip;q=0.1                   | GZIP     | GZIP",     // '0.' is a valid zero
      "gzip;q=0, gzip                        | IDENTITY | IDENTITY", // listed twice: the first q counts
  })
  void negotiates(String header, ContentCoding withBrotli, ContentCoding withoutBrotli) {
    assertEquals(withBrotli, AcceptEncoding.negotiate(header, ALL));
    assertEquals(withoutBrotli, AcceptEncoding.negotiate(header, NO_BROTLI));
  }
}
