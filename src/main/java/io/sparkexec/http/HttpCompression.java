package io.sparkexec.http;

import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.mapResponse;

import com.typesafe.config.Config;
import io.sparkexec.metrics.Metrics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import kamon.metric.Counter;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ResponseEntity;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Compression;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * The edge's content codings: responses compressed with br, gzip or deflate as the request's
 * Accept-Encoding prefers ({@link AcceptEncoding}), request bodies in those codings decoded
 * ({@link RequestDecoding}). Strict answers stay strict (with a Content-Length); streamed answers
 * (the fill export) are compressed as they stream, flushed per group of elements so a slow stream
 * still reaches the client, in memory bounded by the group and the encoder's window.
 */
public final class HttpCompression {

  /**
   * {@code minSizeBytes}: strict bodies below it leave as they are. {@code streamFlushBytes} /
   * {@code streamFlushInterval}: a streamed body is compressed and flushed per this many bytes or
   * this long, whichever comes first. {@code maxBodyBytes}: the request body limit, applied to the
   * decoded size.
   */
  public record Settings(long minSizeBytes, int brotliQuality, int brotliWindowBits, int streamFlushBytes,
      Duration streamFlushInterval, long maxBodyBytes) {

    /** conf/spark.conf's defaults, for edges built without configuration (tests, the feed bench); a test keeps the two equal. */
    public static final Settings DEFAULTS = new Settings(1024, 5, 18, 64 * 1024, Duration.ofMillis(20), 65536);

    public Settings {
      if (brotliQuality < 0 || brotliQuality > 11) throw new IllegalArgumentException("brotli-quality must be 0..11, not " + brotliQuality);
      if (brotliWindowBits < 10 || brotliWindowBits > 24) throw new IllegalArgumentException("brotli-window-bits must be 10..24, not " + brotliWindowBits);
    }

    /** From the {@code spark.http} block: its {@code compression} block and {@code max-body-bytes}. */
    public static Settings fromConfig(Config http) {
      Config c = http.getConfig("compression");
      return new Settings(c.getBytes("min-size-bytes"), c.getInt("brotli-quality"), c.getInt("brotli-window-bits"),
          c.getBytes("stream-flush-bytes").intValue(), c.getDuration("stream-flush-interval"), http.getBytes("max-body-bytes"));
    }
  }

  /** What the edge compresses with and decodes: br only where libbrotli loaded. */
  static final Set<ContentCoding> OFFERED =
      Brotli.AVAILABLE ? EnumSet.of(ContentCoding.BR, ContentCoding.GZIP, ContentCoding.DEFLATE) : EnumSet.of(ContentCoding.GZIP, ContentCoding.DEFLATE);

  // the JDK's and Pekko's zlib level: gzip and deflate answer as they did before Brotli
  private static final int ZLIB_LEVEL = 6;
  private static final HttpHeader VARY = RawHeader.create("Vary", "Accept-Encoding");
  private static final Map<ContentCoding, HttpHeader> CONTENT_ENCODING = new EnumMap<>(ContentCoding.class);
  private static final Map<ContentCoding, Counter> BYTES_IN = new EnumMap<>(ContentCoding.class);
  private static final Map<ContentCoding, Counter> BYTES_OUT = new EnumMap<>(ContentCoding.class);

  static {
    for (ContentCoding c : EnumSet.of(ContentCoding.BR, ContentCoding.GZIP, ContentCoding.DEFLATE)) {
      CONTENT_ENCODING.put(c, HttpHeader.parse("Content-Encoding", c.token()));
      BYTES_IN.put(c, Metrics.HTTP_RESPONSE_UNCOMPRESSED_BYTES.withTag("coding", c.token()));
      BYTES_OUT.put(c, Metrics.HTTP_RESPONSE_COMPRESSED_BYTES.withTag("coding", c.token()));
    }
  }

  private HttpCompression() {}

  /** Decodes request bodies for {@code inner} and encodes its responses. */
  static Route edge(Settings settings, Supplier<Route> inner) {
    return extractRequest(request -> mapResponse(response -> encode(settings, request, response),
        () -> RequestDecoding.decodeRequest(settings.maxBodyBytes(), OFFERED, inner)));
  }

  static HttpResponse encode(Settings settings, HttpRequest request, HttpResponse response) {
    ResponseEntity entity = response.entity();
    // the order path's small answers leave here, after a length check: no header is parsed for them
    if (entity.getContentLengthOption().orElse(Long.MAX_VALUE) < settings.minSizeBytes() || !compressible(response)) return response;
    HttpResponse varied = response.addHeader(VARY);
    ContentCoding coding = AcceptEncoding.negotiate(acceptEncoding(request), OFFERED);
    if (coding == ContentCoding.IDENTITY) return varied;
    HttpResponse encoded;
    if (entity instanceof HttpEntity.Strict strict) {
      ByteString body = strict.getData();
      ByteString compressed = compress(settings, coding, body);
      BYTES_IN.get(coding).increment(body.size());
      BYTES_OUT.get(coding).increment(compressed.size());
      encoded = varied.withEntity(HttpEntities.create(entity.getContentType(), compressed));
    } else {
      encoded = varied.transformEntityDataBytes(streamed(settings, coding));
    }
    return encoded.addHeader(CONTENT_ENCODING.get(coding));
  }

  /** Bodies that allow an entity, of a compressible media type, and not encoded already (WebSocket upgrades are 101: never). */
  private static boolean compressible(HttpResponse response) {
    return response.status().allowsEntity() && response.entity().getContentType().mediaType().isCompressible()
        && response.getHeader("Content-Encoding").isEmpty();
  }

  /** Every Accept-Encoding line of the request, joined as one list (null without any). */
  private static String acceptEncoding(HttpRequest request) {
    String joined = null;
    for (HttpHeader h : request.getHeaders()) {
      if (h.is("accept-encoding")) joined = joined == null ? h.value() : joined + "," + h.value();
    }
    return joined;
  }

  static ByteString compress(Settings settings, ContentCoding coding, ByteString body) {
    return switch (coding) {
      case BR -> Brotli.compress(body, settings.brotliQuality(), settings.brotliWindowBits());
      case GZIP, DEFLATE -> zlib(coding, body);
      case IDENTITY -> body;
    };
  }

  private static ByteString zlib(ContentCoding coding, ByteString body) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(body.size() / 4 + 64);
    try (DeflaterOutputStream z = coding == ContentCoding.GZIP ? new GZIPOutputStream(bytes) : new DeflaterOutputStream(bytes)) {
      z.write(body.toArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return ByteString.fromArrayUnsafe(bytes.toByteArray());
  }

  /** Groups the stream's elements (per flush size or interval), compresses and flushes each group, counting bytes in and out. */
  static Flow<ByteString, ByteString, NotUsed> streamed(Settings settings, ContentCoding coding) {
    Counter in = BYTES_IN.get(coding);
    Counter out = BYTES_OUT.get(coding);
    return Flow.of(ByteString.class)
        .map(bytes -> {
          in.increment(bytes.size());
          return bytes;
        })
        .groupedWeightedWithin(settings.streamFlushBytes(), bytes -> (long) bytes.size(), settings.streamFlushInterval())
        .map(group -> group.stream().reduce(ByteString.emptyByteString(), ByteString::concat))
        .via(encoder(settings, coding))
        .map(bytes -> {
          out.increment(bytes.size());
          return bytes;
        });
  }

  private static Flow<ByteString, ByteString, NotUsed> encoder(Settings settings, ContentCoding coding) {
    return switch (coding) {
      case BR -> Brotli.encoder(settings.brotliQuality(), settings.brotliWindowBits());
      case GZIP -> Compression.gzip(ZLIB_LEVEL);
      case DEFLATE -> Compression.deflate(ZLIB_LEVEL, false);
      case IDENTITY -> Flow.of(ByteString.class);
    };
  }
}
