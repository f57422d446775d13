package io.sparkexec.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.entity;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.mapResponse;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.decoder.Decoder;
import com.aayushatharva.brotli4j.decoder.DecoderJNI;
import com.aayushatharva.brotli4j.decoder.DirectDecompress;
import com.typesafe.config.ConfigFactory;
import io.sparkexec.AppConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The HTTP edge alone ({@link HttpServer#edge} with the default codings) on a free loopback port,
 * over routes made to exercise it: strict answers above and below the minimum size, a streamed
 * answer that waits half-way for the test ({@link #gates}), bodies the edge must leave alone, a
 * JSON echo reading its body through {@link Json#body}, and a page for a browser that reports
 * back. What the edge answered each path with is kept in {@link #contentEncodings}.
 */
final class EdgeServer implements AutoCloseable {

  static final ContentType NDJSON = ContentTypes.create(MediaTypes.applicationWithOpenCharset("x-ndjson"), HttpCharsets.UTF_8);
  /** About 60 KB of JSON, repetitive as our listings are. */
  static final byte[] BIG = listing(400);
  static final byte[] SMALL = listing(2);
  static final List<ByteString> STREAM_HEAD = lines(0, 50);
  static final List<ByteString> STREAM_TAIL = lines(50, 2000);
  static final byte[] STREAM = bytes(STREAM_HEAD, STREAM_TAIL);

  final ActorSystem<Void> system;
  final int port;
  /** One per GET /stream, in arrival order: the stream's tail is sent once the test completes it. */
  final BlockingQueue<CompletableFuture<Done>> gates = new LinkedBlockingQueue<>();
  /** What the page at /page.html POSTed to /report. */
  final BlockingQueue<String> reports = new LinkedBlockingQueue<>();
  /** Path -> the Content-Encoding of its last answer ("identity" without one). */
  final Map<String, String> contentEncodings = new ConcurrentHashMap<>();
  /** Path -> the Accept-Encoding of its last request ("" without one). */
  final Map<String, String> acceptEncodings = new ConcurrentHashMap<>();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  EdgeServer(byte[] page) throws Exception {
    system = ActorSystem.create(Behaviors.empty(), "edge-test", AppConfig.load(ConfigFactory.parseString("""
        pekko.actor.provider = local
        pekko.coordinated-shutdown.exit-jvm = off
        pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
        pekko.loglevel = WARNING
        """)));
    Route routes = concat(
        path("big", () -> get(() -> complete(HttpEntities.create(ContentTypes.APPLICATION_JSON, BIG)))),
        path("small", () -> get(() -> complete(HttpEntities.create(ContentTypes.APPLICATION_JSON, SMALL)))),
        path("stream", () -> get(() -> {
          CompletableFuture<Done> gate = new CompletableFuture<>();
          gates.add(gate);
          return complete(HttpEntities.createChunked(NDJSON,
              Source.from(STREAM_HEAD).concat(Source.completionStage(gate).flatMapConcat(done -> Source.from(STREAM_TAIL)))));
        })),
        path("png", () -> get(() -> complete(HttpEntities.create(ContentTypes.create(MediaTypes.IMAGE_PNG), BIG)))),
        path("pre-encoded", () -> get(() -> complete(StatusCodes.OK, List.of(RawHeader.create("Content-Encoding", "gzip")),
            HttpEntities.create(ContentTypes.APPLICATION_JSON, HttpCompression.compress(HttpCompression.Settings.DEFAULTS, ContentCoding.GZIP,
                ByteString.fromArray(BIG)))))),
        path("echo", () -> post(() -> Json.body(HttpCompression.Settings.DEFAULTS.maxBodyBytes(), node -> complete(Json.ok(node))))),
        path("page.html", () -> get(() -> complete(HttpEntities.create(ContentTypes.TEXT_HTML_UTF8, page)))),
        path("report", () -> post(() -> entity(Unmarshaller.entityToString(), body -> {
          reports.add(body);
          return complete(StatusCodes.NO_CONTENT);
        }))));
    Route recorded = extractRequest(request -> mapResponse(response -> {
      String p = request.getUri().path();
      contentEncodings.put(p, response.getHeader("Content-Encoding").map(h -> h.value()).orElse("identity"));
      acceptEncodings.put(p, request.getHeader("Accept-Encoding").map(h -> h.value()).orElse(""));
      return response;
    }, () -> HttpServer.edge(List.of(routes))));
    port = Http.get(system).newServerAt("127.0.0.1", 0).bind(recorded).toCompletableFuture().get(30, TimeUnit.SECONDS).localAddress().getPort();
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60));
  }

  HttpResponse<byte[]> fetch(String path, String acceptEncoding) throws Exception {
    HttpRequest.Builder b = request(path);
    if (acceptEncoding != null) b.header("Accept-Encoding", acceptEncoding);
    return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  HttpResponse<InputStream> fetchStreaming(String path, String acceptEncoding) throws Exception {
    return http.send(request(path).header("Accept-Encoding", acceptEncoding).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
  }

  HttpResponse<String> send(String path, String contentEncoding, byte[] body) throws Exception {
    HttpRequest.Builder b = request(path).header("Content-Type", "application/json");
    if (contentEncoding != null) b.header("Content-Encoding", contentEncoding);
    return http.send(b.POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  /** A whole body in {@code coding}, decoded by a decoder other than the edge's own where there is one (the JDK's for gzip and deflate). */
  static byte[] decode(String coding, byte[] raw) {
    try {
      return switch (coding) {
        case "br" -> {
          Brotli4jLoader.ensureAvailability();
          DirectDecompress d = Decoder.decompress(raw);
          if (d.getResultStatus() != DecoderJNI.Status.DONE) throw new AssertionError("not a whole Brotli stream: " + d.getResultStatus());
          yield d.getDecompressedData();
        }
        case "gzip" -> new GZIPInputStream(new ByteArrayInputStream(raw)).readAllBytes();
        case "deflate" -> new InflaterInputStream(new ByteArrayInputStream(raw)).readAllBytes();
        case "identity" -> raw;
        default -> throw new AssertionError("unexpected coding " + coding);
      };
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] listing(int n) {
    StringBuilder b = new StringBuilder("{\"count\":" + n + ",\"orders\":[");
    for (int i = 0; i < n; i++) {
      if (i > 0) b.append(',');
      b.append("{\"clientOrderId\":\"edge-").append(i).append("\",\"symbol\":\"").append(i % 3 == 0 ? "BTCUSDT" : "ETHUSDT")
          .append("\",\"side\":\"BUY\",\"type\":\"LIMIT\",\"quantity\":\"0.0").append(i % 10 + 1).append("\",\"price\":\"")
          .append(1000 + i % 97).append(".00\",\"status\":\"ACKNOWLEDGED\",\"strategy\":\"s-").append(i % 4).append("\"}");
    }
    return b.append("]}").toString().getBytes(StandardCharsets.UTF_8);
  }

  private static List<ByteString> lines(int from, int to) {
    List<ByteString> lines = new ArrayList<>();
    for (int i = from; i < to; i++) {
      lines.add(ByteString.fromString("{\"kind\":\"real\",\"seq\":" + i + ",\"symbol\":\"BTCUSDT\",\"fillPrice\":\"650" + (i % 100) + ".00\"}\n"));
    }
    return lines;
  }

  /** The parts, one after the other. */
  @SafeVarargs
  static byte[] bytes(List<ByteString>... parts) {
    ByteString all = ByteString.emptyByteString();
    for (List<ByteString> part : parts) for (ByteString s : part) all = all.concat(s);
    return all.toArray();
  }
}
