package io.sparkexec.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.decoder.DecoderJNI;
import com.aayushatharva.brotli4j.encoder.BrotliOutputStream;
import com.aayushatharva.brotli4j.encoder.Encoder;
import com.fasterxml.jackson.databind.JsonNode;
import io.sparkexec.AppConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The edge's codings over real HTTP on loopback ({@link EdgeServer}): responses in br, gzip and
 * deflate decode to the identity bytes, strict ones keep a length and streamed ones are flushed
 * as they go; request bodies in those codings are decoded and held to the limit once decoded.
 */
@ExtendWith(LogCapturingExtension.class)
class HttpCompressionTest {

  private static final byte[] ECHO = "{\"orders\":[{\"clientOrderId\":\"a-1\",\"quantity\":\"0.001\"},{\"clientOrderId\":\"a-2\",\"quantity\":\"0.002\"}]}"
      .getBytes(StandardCharsets.UTF_8);
  private static EdgeServer server;

  @BeforeAll
  static void start() throws Exception {
    Brotli4jLoader.ensureAvailability();
    server = new EdgeServer(new byte[0]);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Test
  void theDefaultsInCodeAreTheDefaultsInConf() {
    assertEquals(HttpCompression.Settings.fromConfig(AppConfig.load().getConfig("spark.http")), HttpCompression.Settings.DEFAULTS);
  }

  @ParameterizedTest
  @ValueSource(strings = {"br", "gzip", "deflate"})
  void aStrictAnswerComesInTheCodingAskedForWithItsLength(String coding) throws Exception {
    HttpResponse<byte[]> r = server.fetch("/big", coding);
    assertEquals(200, r.statusCode());
    assertEquals(coding, header(r, "Content-Encoding"));
    assertEquals("Accept-Encoding", header(r, "Vary"));
    assertEquals(String.valueOf(r.body().length), header(r, "Content-Length"));
    assertTrue(r.body().length < EdgeServer.BIG.length / 4, () -> coding + " left " + r.body().length + " of " + EdgeServer.BIG.length + " bytes");
    assertArrayEquals(EdgeServer.BIG, EdgeServer.decode(coding, r.body()));
  }

  @ParameterizedTest(name = "[{0}] -> {1}")
  @CsvSource(delimiter = '|', value = {
      "gzip, deflate, br     | br",
      "gzip;q=1, br;q=0.5    | gzip",
      "br;q=0, deflate       | deflate",
      "br;q=0, identity      | identity",
      "*;q=0                 | identity",
  })
  void theAcceptEncodingHeaderChooses(String acceptEncoding, String coding) throws Exception {
    HttpResponse<byte[]> r = server.fetch("/big", acceptEncoding);
    assertEquals(coding, header(r, "Content-Encoding"));
    assertArrayEquals(EdgeServer.BIG, EdgeServer.decode(coding, r.body()));
  }

  @Test
  void withoutAcceptEncodingTheAnswerIsIdentityAndSaysItVaries() throws Exception {
    HttpResponse<byte[]> r = server.fetch("/big", null);
    assertEquals("identity", header(r, "Content-Encoding"));
    assertEquals("Accept-Encoding", header(r, "Vary"));
    assertArrayEquals(EdgeServer.BIG, r.body());
  }

  @Test
  void smallIncompressibleAndPreEncodedAnswersAreLeftAlone() throws Exception {
    HttpResponse<byte[]> small = server.fetch("/small", "br");
    assertTrue(EdgeServer.SMALL.length < HttpCompression.Settings.DEFAULTS.minSizeBytes());
    assertEquals("identity", header(small, "Content-Encoding"));
    assertEquals("", header(small, "Vary"), "below the minimum size the answer does not vary");
    assertArrayEquals(EdgeServer.SMALL, small.body());

    HttpResponse<byte[]> png = server.fetch("/png", "br");
    assertEquals("identity", header(png, "Content-Encoding"));
    assertArrayEquals(EdgeServer.BIG, png.body());

    HttpResponse<byte[]> pre = server.fetch("/pre-encoded", "br");
    assertEquals("gzip", header(pre, "Content-Encoding"));
    assertArrayEquals(EdgeServer.BIG, EdgeServer.decode("gzip", pre.body()));
  }

  /**
   * The stream holds back its tail until the client has decoded its head: without a flush per
   * group the head would sit in the encoder and never arrive.
   */
  @ParameterizedTest
  @ValueSource(strings = {"br", "gzip"})
  void aStreamedAnswerIsCompressedAsItStreams(String coding) throws Exception {
    HttpResponse<InputStream> r = server.fetchStreaming("/stream", coding);
    CompletableFuture<Done> gate = server.gates.poll(60, TimeUnit.SECONDS);
    assertEquals(coding, header(r, "Content-Encoding"));
    assertEquals("", header(r, "Content-Length"));
    assertEquals("chunked", header(r, "Transfer-Encoding"));
    byte[] head = EdgeServer.bytes(EdgeServer.STREAM_HEAD);
    try (InputStream decoded = decoding(coding, r.body())) {
      byte[] received = CompletableFuture.supplyAsync(() -> readNBytes(decoded, head.length)).get(60, TimeUnit.SECONDS);
      assertArrayEquals(head, received, "the head, decoded before the stream went on");
      gate.complete(Done.getInstance());
      byte[] tail = decoded.readAllBytes();
      byte[] all = Arrays.copyOf(received, received.length + tail.length);
      System.arraycopy(tail, 0, all, received.length, tail.length);
      assertArrayEquals(EdgeServer.STREAM, all);
    } catch (TimeoutException e) {
      throw new AssertionError("the streamed head never arrived: the encoder did not flush it", e);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"br", "gzip", "x-gzip", "deflate", "identity"})
  void aRequestBodyInACodingIsReadDecoded(String coding) throws Exception {
    HttpResponse<String> r = server.send("/echo", coding, encode(coding, ECHO));
    assertEquals(200, r.statusCode(), r::body);
    assertEquals(Json.MAPPER.readTree(ECHO), Json.MAPPER.readTree(r.body()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"compress", "zstd", "gzip, br"})
  void anUnknownRequestCodingIs415(String coding) throws Exception {
    HttpResponse<String> r = server.send("/echo", coding, ECHO);
    assertEquals(415, r.statusCode(), r::body);
    JsonNode error = Json.MAPPER.readTree(r.body()).path("error");
    assertEquals("UNSUPPORTED_CONTENT_ENCODING", error.path("code").asText());
    assertEquals("Content-Encoding", error.path("field").asText());
    assertEquals("br, gzip, deflate", r.headers().firstValue("Accept-Encoding").orElse(""));
    assertEquals(404, server.send("/no-such-path", coding, ECHO).statusCode(), "the path is checked before the body is read");
  }

  @Test
  void aCorruptOrTruncatedBrotliBodyIs400() throws Exception {
    byte[] valid = encode("br", ECHO);
    for (byte[] body : new byte[][] {"not brotli at all".getBytes(StandardCharsets.UTF_8), Arrays.copyOf(valid, valid.length / 2)}) {
      HttpResponse<String> r = server.send("/echo", "br", body);
      assertEquals(400, r.statusCode(), r::body);
      assertEquals("MALFORMED_CONTENT_ENCODING", Json.MAPPER.readTree(r.body()).path("error").path("code").asText());
    }
  }

  /** 100 MB of zeros in a few hundred bytes: refused once the decoded size passes the limit, and the server goes on. */
  @ParameterizedTest
  @ValueSource(strings = {"br", "gzip", "deflate"})
  void aCompressionBombIs413AndTheServerStaysHealthy(String coding) throws Exception {
    byte[] bomb = zeros(coding, coding.equals("br") ? 100 : 10);
    assertTrue(bomb.length < HttpCompression.Settings.DEFAULTS.maxBodyBytes(), "the bomb itself is under the limit: " + bomb.length);
    HttpResponse<String> r = server.send("/echo", coding, bomb);
    assertEquals(413, r.statusCode(), r::body);
    JsonNode error = Json.MAPPER.readTree(r.body()).path("error");
    assertEquals("PAYLOAD_TOO_LARGE", error.path("code").asText());
    assertEquals(HttpCompression.Settings.DEFAULTS.maxBodyBytes(), error.path("details").path("limitBytes").asLong());
    assertEquals(coding, error.path("details").path("contentEncoding").asText());
    assertEquals(200, server.send("/echo", coding, encode(coding, ECHO)).statusCode(), "a good body right after");
  }

  private static String header(HttpResponse<?> r, String name) {
    return r.headers().firstValue(name).orElse(name.equals("Content-Encoding") ? "identity" : "");
  }

  private static InputStream decoding(String coding, InputStream raw) throws IOException {
    return coding.equals("gzip") ? new GZIPInputStream(raw) : new EagerBrotliInput(raw);
  }

  /**
   * brotli4j's decoder handing over what it has as soon as it has it. Its BrotliInputStream asks
   * for more input after filling a read, so it would block on a stream that pauses.
   */
  private static final class EagerBrotliInput extends InputStream {
    private final InputStream raw;
    private final DecoderJNI.Wrapper decoder = new DecoderJNI.Wrapper(1 << 16);
    private ByteBuffer pending = ByteBuffer.allocate(0);

    EagerBrotliInput(InputStream raw) throws IOException {
      this.raw = raw;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      while (!pending.hasRemaining()) {
        DecoderJNI.Status status = decoder.getStatus();
        if (decoder.hasOutput() || status == DecoderJNI.Status.NEEDS_MORE_OUTPUT) {
          pending = decoder.pull();
        } else if (status == DecoderJNI.Status.OK) {
          decoder.push(0);
        } else if (status == DecoderJNI.Status.NEEDS_MORE_INPUT) {
          byte[] chunk = new byte[8192];
          int n = raw.read(chunk);
          if (n < 0) throw new IOException("the Brotli stream ended early");
          decoder.getInputBuffer().clear();
          decoder.getInputBuffer().put(chunk, 0, n);
          decoder.push(n);
        } else if (status == DecoderJNI.Status.DONE) {
          return -1;
        } else {
          throw new IOException("corrupt Brotli stream");
        }
      }
      int n = Math.min(len, pending.remaining());
      pending.get(b, off, n);
      return n;
    }

    @Override
    public void close() throws IOException {
      decoder.destroy();
      raw.close();
    }
  }

  /** Exactly {@code n} bytes, never asking for zero (BrotliInputStream blocks on a read of zero bytes, as readNBytes makes at the end). */
  private static byte[] readNBytes(InputStream in, int n) {
    byte[] bytes = new byte[n];
    try {
      for (int got = 0, r; got < n; got += r) {
        r = in.read(bytes, got, n - got);
        if (r < 0) return Arrays.copyOf(bytes, got);
      }
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] encode(String coding, byte[] body) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream z = encoder(coding, out)) {
      z.write(body);
    }
    return out.toByteArray();
  }

  /** {@code megabytes} of zeros in {@code coding}, written a megabyte at a time. */
  static byte[] zeros(String coding, int megabytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] megabyte = new byte[1 << 20];
    try (OutputStream z = encoder(coding, out)) {
      for (int i = 0; i < megabytes; i++) z.write(megabyte);
    }
    return out.toByteArray();
  }

  private static OutputStream encoder(String coding, OutputStream out) throws IOException {
    return switch (coding) {
      case "br" -> new BrotliOutputStream(out, new Encoder.Parameters().setQuality(5));
      case "gzip", "x-gzip" -> new GZIPOutputStream(out);
      case "deflate" -> new DeflaterOutputStream(out);
      default -> out;
    };
  }
}
