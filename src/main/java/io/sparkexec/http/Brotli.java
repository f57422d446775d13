package io.sparkexec.http;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.decoder.DecoderJNI;
import com.aayushatharva.brotli4j.encoder.Encoder;
import com.aayushatharva.brotli4j.encoder.EncoderJNI;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.function.Creator;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brotli through brotli4j (libbrotli over JNI). The native library loads once per JVM; where it
 * cannot, {@link #AVAILABLE} is false, the edge serves and reads gzip and deflate only, and one
 * log line says why.
 */
final class Brotli {

  private static final Logger log = LoggerFactory.getLogger(Brotli.class);
  // the native input buffer of one streaming coder; a larger element is fed through it in pieces
  private static final int INPUT_BUFFER = 64 * 1024;

  static final boolean AVAILABLE = load();

  private Brotli() {}

  private static boolean load() {
    if (Brotli4jLoader.isAvailable()) return true;
    // expected where the platform has no native part: one line, no stack trace
    log.warn("event=http_brotli_unavailable fallback=gzip error=\"{}\"", String.valueOf(Brotli4jLoader.getUnavailabilityCause()));
    return false;
  }

  /** A whole body at once (strict responses). */
  static ByteString compress(ByteString body, int quality, int windowBits) {
    try {
      return ByteString.fromArrayUnsafe(Encoder.compress(body.toArray(), new Encoder.Parameters().setQuality(quality).setWindow(windowBits)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Compresses and flushes every element, so each one out decodes without waiting for the next. */
  static Flow<ByteString, ByteString, NotUsed> encoder(int quality, int windowBits) {
    return Flow.fromGraph(new CoderStage(() -> new Encoding(quality, windowBits)));
  }

  /**
   * Decodes, failing with {@link RequestDecoding.BodyTooLarge} as soon as more than
   * {@code maxBytes} came out, and with {@link RequestDecoding.BodyCorrupt} on bad or truncated input.
   */
  static Flow<ByteString, ByteString, NotUsed> decoder(long maxBytes) {
    return Flow.fromGraph(new CoderStage(() -> new Decoding(maxBytes)));
  }

  /** One stream's native coder: what each element becomes, what the end of input leaves, and its release. */
  private interface Coder {
    ByteString onChunk(ByteString chunk) throws IOException;

    ByteString onFinish() throws IOException;

    void destroy();
  }

  /** Runs a {@link Coder} one element at a time; its native memory is released however the stream ends. */
  private static final class CoderStage extends GraphStage<FlowShape<ByteString, ByteString>> {
    private final Inlet<ByteString> in = Inlet.create("Brotli.in");
    private final Outlet<ByteString> out = Outlet.create("Brotli.out");
    private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);
    private final Creator<Coder> create;

    CoderStage(Creator<Coder> create) {
      this.create = create;
    }

    @Override
    public FlowShape<ByteString, ByteString> shape() {
      return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes inheritedAttributes) {
      return new GraphStageLogic(shape) {
        private Coder coder;

        {
          setHandler(in, new AbstractInHandler() {
            @Override
            public void onPush() throws Exception {
              ByteString bytes = coder.onChunk(grab(in));
              if (bytes.isEmpty()) pull(in);
              else push(out, bytes);
            }

            @Override
            public void onUpstreamFinish() throws Exception {
              ByteString rest = coder.onFinish();
              if (!rest.isEmpty()) emit(out, rest);
              completeStage();
            }
          });
          setHandler(out, new AbstractOutHandler() {
            @Override
            public void onPull() {
              pull(in);
            }
          });
        }

        @Override
        public void preStart() throws Exception {
          coder = create.create();
        }

        @Override
        public void postStop() {
          if (coder != null) coder.destroy();
        }
      };
    }
  }

  private static final class Encoding implements Coder {
    private final EncoderJNI.Wrapper encoder;

    Encoding(int quality, int windowBits) throws IOException {
      encoder = new EncoderJNI.Wrapper(INPUT_BUFFER, quality, windowBits, Encoder.Mode.GENERIC);
    }

    @Override
    public ByteString onChunk(ByteString chunk) throws IOException {
      return encode(chunk, EncoderJNI.Operation.FLUSH);
    }

    @Override
    public ByteString onFinish() throws IOException {
      return encode(ByteString.emptyByteString(), EncoderJNI.Operation.FINISH);
    }

    @Override
    public void destroy() {
      encoder.destroy();
    }

    /** Feeds {@code chunk} through the input buffer, ending with {@code last} (flush or finish). */
    private ByteString encode(ByteString chunk, EncoderJNI.Operation last) throws IOException {
      ByteStringBuilder out = ByteString.createBuilder();
      ByteBuffer input = encoder.getInputBuffer();
      int offset = 0;
      do {
        input.clear();
        int n = chunk.drop(offset).copyToBuffer(input);
        offset += n;
        EncoderJNI.Operation op = offset < chunk.size() ? EncoderJNI.Operation.PROCESS : last;
        encoder.push(op, n);
        while (true) {
          if (!encoder.isSuccess()) throw new IOException("brotli encoding failed");
          if (encoder.hasMoreOutput()) out.append(ByteString.fromByteBuffer(encoder.pull()));
          else if (encoder.hasRemainingInput() || (op == EncoderJNI.Operation.FINISH && !encoder.isFinished())) encoder.push(op, 0);
          else break;
        }
      } while (offset < chunk.size());
      return out.result();
    }
  }

  private static final class Decoding implements Coder {
    private final DecoderJNI.Wrapper decoder;
    private final long maxBytes;
    private long decoded;

    Decoding(long maxBytes) throws IOException {
      this.decoder = new DecoderJNI.Wrapper(INPUT_BUFFER);
      this.maxBytes = maxBytes;
    }

    @Override
    public ByteString onChunk(ByteString chunk) {
      ByteStringBuilder out = ByteString.createBuilder();
      int offset = 0;
      while (true) {
        DecoderJNI.Status status = decoder.getStatus();
        if (decoder.hasOutput() || status == DecoderJNI.Status.NEEDS_MORE_OUTPUT) {
          take(decoder.pull(), out);
        } else if (status == DecoderJNI.Status.OK) {
          decoder.push(0);
        } else if (status == DecoderJNI.Status.NEEDS_MORE_INPUT) {
          if (offset == chunk.size()) return out.result();
          ByteBuffer input = decoder.getInputBuffer();
          input.clear();
          int n = chunk.drop(offset).copyToBuffer(input);
          offset += n;
          decoder.push(n);
        } else if (status == DecoderJNI.Status.DONE && offset == chunk.size()) {
          return out.result();
        } else {
          throw new RequestDecoding.BodyCorrupt(ContentCoding.BR, status == DecoderJNI.Status.DONE ? "bytes after the end of the stream" : "invalid data");
        }
      }
    }

    /** 1.18.0 hands over all the decoder holds at once (up to its window): the budget is checked before copying. */
    private void take(ByteBuffer bytes, ByteStringBuilder out) {
      decoded += bytes.remaining();
      if (decoded > maxBytes) throw new RequestDecoding.BodyTooLarge(maxBytes, ContentCoding.BR);
      out.append(ByteString.fromByteBuffer(bytes));
    }

    @Override
    public ByteString onFinish() {
      if (decoder.getStatus() != DecoderJNI.Status.DONE) throw new RequestDecoding.BodyCorrupt(ContentCoding.BR, "truncated");
      return ByteString.emptyByteString();
    }

    @Override
    public void destroy() {
      decoder.destroy();
    }
  }
}
