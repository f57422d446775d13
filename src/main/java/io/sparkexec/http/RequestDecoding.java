package io.sparkexec.http;

import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.mapRequest;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Compression;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * Request bodies sent with {@code Content-Encoding: br, gzip or deflate} reach the routes decoded,
 * held to the body limit after decoding: a small body that inflates past it (a compression bomb)
 * fails with {@link BodyTooLarge}, which every route's JSON reading answers 413, before more than
 * the limit is ever held. Any other coding answers 415 where a route reads the body.
 */
final class RequestDecoding {

  // largest element Pekko's inflaters emit: the limit is checked between elements
  private static final int MAX_BYTES_PER_CHUNK = 16 * 1024;

  private RequestDecoding() {}

  /** More than {@code limitBytes} came out of a {@code coding} body. Expected: no stack trace. */
  static final class BodyTooLarge extends RuntimeException {
    final long limitBytes;
    final ContentCoding coding;

    BodyTooLarge(long limitBytes, ContentCoding coding) {
      super("decoded request body is larger than " + limitBytes + " bytes", null, false, false);
      this.limitBytes = limitBytes;
      this.coding = coding;
    }
  }

  /** A body that is not valid in the coding it names. Expected: no stack trace. */
  static final class BodyCorrupt extends RuntimeException {
    final ContentCoding coding;

    BodyCorrupt(ContentCoding coding, String reason) {
      super("request body is not valid " + coding.token() + ": " + reason, null, false, false);
      this.coding = coding;
    }
  }

  /** A Content-Encoding the edge does not read. Expected: no stack trace. */
  static final class UnsupportedCoding extends RuntimeException {
    private final String accepted;

    UnsupportedCoding(String contentEncoding, String accepted) {
      super("Content-Encoding " + contentEncoding + " is not accepted; send one of " + accepted + " or none", null, false, false);
      this.accepted = accepted;
    }

    /** RFC 9110 12.5.3: Accept-Encoding on a 415 tells the client it is the coding that was refused, not the media type. */
    HttpResponse response() {
      return ApiErrors.response(415, "UNSUPPORTED_CONTENT_ENCODING", getMessage(), "Content-Encoding", Map.of("accepted", accepted))
          .addHeader(RawHeader.create("Accept-Encoding", accepted));
    }
  }

  /** Decodes the body when its Content-Encoding is one of {@code accepted}; no Content-Encoding costs one header lookup. */
  static Route decodeRequest(long maxBytes, Set<ContentCoding> accepted, Supplier<Route> inner) {
    return extractRequest(request -> {
      Optional<HttpHeader> header = request.getHeader("Content-Encoding");
      if (header.isEmpty() || request.entity().isKnownEmpty()) return inner.get();
      Optional<ContentCoding> coding = ContentCoding.of(header.get().value()).filter(c -> c == ContentCoding.IDENTITY || accepted.contains(c));
      if (coding.isEmpty()) return mapRequest(r -> r.transformEntityDataBytes(refused(header.get().value(), accepted)), inner);
      if (coding.get() == ContentCoding.IDENTITY) return inner.get();
      return mapRequest(r -> r.removeHeader("Content-Encoding").transformEntityDataBytes(decoder(coding.get(), maxBytes)), inner);
    });
  }

  /** Fails the body when a route reads it: path, method and key are checked first, and a route that reads no body is not refused. */
  private static Flow<ByteString, ByteString, NotUsed> refused(String contentEncoding, Set<ContentCoding> accepted) {
    String tokens = accepted.stream().map(ContentCoding::token).collect(Collectors.joining(", "));
    return Flow.of(ByteString.class).map(bytes -> {
      throw new UnsupportedCoding(contentEncoding, tokens);
    });
  }

  private static Flow<ByteString, ByteString, NotUsed> decoder(ContentCoding coding, long maxBytes) {
    Flow<ByteString, ByteString, NotUsed> flow = switch (coding) {
      case BR -> Brotli.decoder(maxBytes);
      case GZIP -> Compression.gunzip(MAX_BYTES_PER_CHUNK).via(limit(maxBytes, coding));
      case DEFLATE -> Compression.inflate(MAX_BYTES_PER_CHUNK).via(limit(maxBytes, coding));
      case IDENTITY -> throw new IllegalArgumentException("identity needs no decoder");
    };
    return flow.mapError(Exception.class, e -> e instanceof BodyTooLarge || e instanceof BodyCorrupt ? e : new BodyCorrupt(coding, e.toString()));
  }

  private static Flow<ByteString, ByteString, NotUsed> limit(long maxBytes, ContentCoding coding) {
    return Flow.of(ByteString.class).statefulMap(() -> 0L, (seen, bytes) -> {
      long total = seen + bytes.size();
      if (total > maxBytes) throw new BodyTooLarge(maxBytes, coding);
      return Pair.create(total, bytes);
    }, seen -> Optional.empty());
  }
}
