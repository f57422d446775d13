package io.sparkexec.http;

import java.util.Locale;
import java.util.Optional;

/**
 * The content codings the edge serves and reads, in the order it prefers them when a client
 * accepts several equally: at quality 5 Brotli makes our JSON and CSV 9-12% smaller than gzip for
 * about the same CPU (docs/performance.md); deflate is kept for the clients that ask only for it.
 */
public enum ContentCoding {
  BR("br"),
  GZIP("gzip"),
  DEFLATE("deflate"),
  IDENTITY("identity");

  private final String token;

  ContentCoding(String token) {
    this.token = token;
  }

  /** The name as it appears in Accept-Encoding and Content-Encoding. */
  public String token() {
    return token;
  }

  /** The coding a header names, case-insensitively; x-gzip is gzip (RFC 9110 8.4.1.3). */
  public static Optional<ContentCoding> of(String token) {
    String t = token.trim().toLowerCase(Locale.ROOT);
    if (t.equals("x-gzip")) return Optional.of(GZIP);
    for (ContentCoding c : values()) if (c.token.equals(t)) return Optional.of(c);
    return Optional.empty();
  }
}
