package io.sparkexec.feed;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RFC 7692 permessage-deflate: the negotiation (pure Java) and the codec, a BidiFlow of
 * {@link WsFrame}s that sits between unmasking and Pekko's frame handling. Inbound it inflates
 * compressed messages frame by frame and clears RSV1 (Pekko 1.3 rejects it); outbound it
 * compresses every data frame with SYNC_FLUSH and strips the trailing empty block.
 */
public final class PermessageDeflate {

  private static final Logger log = LoggerFactory.getLogger(PermessageDeflate.class);

  public static final String EXTENSION = "permessage-deflate";
  static final String SERVER_NO_CONTEXT_TAKEOVER = "server_no_context_takeover";
  static final String CLIENT_NO_CONTEXT_TAKEOVER = "client_no_context_takeover";
  static final String SERVER_MAX_WINDOW_BITS = "server_max_window_bits";
  static final String CLIENT_MAX_WINDOW_BITS = "client_max_window_bits";

  private static final byte[] TAIL = {0x00, 0x00, (byte) 0xff, (byte) 0xff};
  // RFC 7692 7.2.3.6: an empty final frame must still close the block the receiver is in
  private static final ByteString EMPTY_BLOCK = ByteString.fromArray(new byte[] {0x00});
  private static final int CHUNK = 16 * 1024;

  private PermessageDeflate() {}

  /**
   * What was agreed: the response header value and whether each side resets its context per
   * message. The JDK's deflater window is fixed at 15 bits, so nothing else varies.
   */
  public record Agreement(String responseHeader, boolean serverNoContextTakeover, boolean clientNoContextTakeover) {}

  public record Limits(int level, long maxInflatedBytes) {}

  // ---------------------------------------------------------------- negotiation

  /**
   * Picks the first acceptable permessage-deflate offer from the request's
   * {@code Sec-WebSocket-Extensions} values; empty means the connection stays uncompressed.
   * An offer with an unknown, repeated or malformed parameter, or asking for a server window
   * below 15 bits, is declined and the next one tried. Only parameters the client offered are
   * answered.
   */
  public static Optional<Agreement> negotiate(List<String> headerValues) {
    for (String value : headerValues) {
      for (String element : split(value, ',')) {
        Optional<Agreement> agreed = accept(element);
        if (agreed.isPresent()) return agreed;
      }
    }
    return Optional.empty();
  }

  private static Optional<Agreement> accept(String element) {
    List<String> parts = split(element, ';');
    if (parts.isEmpty() || !parts.get(0).trim().equalsIgnoreCase(EXTENSION)) return Optional.empty();
    Set<String> seen = new HashSet<>();
    boolean serverNoContext = false;
    boolean clientNoContext = false;
    boolean serverWindow = false;
    for (String raw : parts.subList(1, parts.size())) {
      int eq = raw.indexOf('=');
      String name = (eq < 0 ? raw : raw.substring(0, eq)).trim().toLowerCase();
      String v = eq < 0 ? null : unquote(raw.substring(eq + 1).trim());
      if (!seen.add(name)) return Optional.empty();
      switch (name) {
        case SERVER_NO_CONTEXT_TAKEOVER -> {
          if (v != null) return Optional.empty();
          serverNoContext = true;
        }
        case CLIENT_NO_CONTEXT_TAKEOVER -> {
          if (v != null) return Optional.empty();
          clientNoContext = true;
        }
        case SERVER_MAX_WINDOW_BITS -> {
          // the JDK deflater always uses a 32 KiB window: only a limit of 15 bits can be honoured
          if (v == null || windowBits(v) != 15) return Optional.empty();
          serverWindow = true;
        }
        case CLIENT_MAX_WINDOW_BITS -> {
          // our inflater takes any window up to 15 bits, so it is accepted and never answered
          if (v != null && windowBits(v) < 0) return Optional.empty();
        }
        default -> {
          return Optional.empty();
        }
      }
    }
    StringBuilder header = new StringBuilder(EXTENSION);
    if (serverNoContext) header.append("; ").append(SERVER_NO_CONTEXT_TAKEOVER);
    if (clientNoContext) header.append("; ").append(CLIENT_NO_CONTEXT_TAKEOVER);
    if (serverWindow) header.append("; ").append(SERVER_MAX_WINDOW_BITS).append("=15");
    return Optional.of(new Agreement(header.toString(), serverNoContext, clientNoContext));
  }

  /** 8..15 written without leading zeros, else -1. */
  private static int windowBits(String v) {
    if (v == null || v.isEmpty() || v.length() > 2 || v.charAt(0) == '0' || !v.chars().allMatch(Character::isDigit)) return -1;
    int bits = Integer.parseInt(v);
    return bits >= 8 && bits <= 15 ? bits : -1;
  }

  private static String unquote(String v) {
    if (v.length() < 2 || v.charAt(0) != '"' || v.charAt(v.length() - 1) != '"') return v;
    StringBuilder b = new StringBuilder();
    for (int i = 1; i < v.length() - 1; i++) {
      char c = v.charAt(i);
      if (c == '\\' && i + 1 < v.length() - 1) c = v.charAt(++i);
      b.append(c);
    }
    return b.toString();
  }

  /** Splits on the separator outside quoted strings; blank pieces are dropped. */
  private static List<String> split(String s, char separator) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"') quoted = !quoted;
      if (c == '\\' && quoted && i + 1 < s.length()) {
        cur.append(c).append(s.charAt(++i));
        continue;
      }
      if (c == separator && !quoted) {
        if (!cur.toString().isBlank()) out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    if (!cur.toString().isBlank()) out.add(cur.toString());
    return out;
  }

  // ---------------------------------------------------------------- codec

  /**
   * The codec for one connection: network side on the left (inbound in, outbound out), Pekko's
   * frame handling on the right. Corrupt input closes with 1007, a message inflating past
   * {@code maxInflatedBytes} with 1009; the native zlib memory is released when the stream stops.
   */
  public static BidiFlow<WsFrame, WsFrame, WsFrame, WsFrame, NotUsed> codec(Agreement agreement, Limits limits, Closer closer, TrafficStats stats) {
    return BidiFlow.fromFlows(inflater(agreement, limits, closer), deflater(agreement, limits, stats));
  }

  static Flow<WsFrame, WsFrame, NotUsed> inflater(Agreement agreement, Limits limits, Closer closer) {
    return inflater(agreement, limits, closer, () -> new Inflater(true));
  }

  static Flow<WsFrame, WsFrame, NotUsed> deflater(Agreement agreement, Limits limits, TrafficStats stats) {
    return deflater(agreement, limits, stats, level -> new Deflater(level, true));
  }

  /** With the zlib objects made by the caller: tests check their native memory is released. */
  static Flow<WsFrame, WsFrame, NotUsed> inflater(Agreement agreement, Limits limits, Closer closer, Supplier<Inflater> zlib) {
    return Flow.fromGraph(new InflateStage(agreement.clientNoContextTakeover(), limits.maxInflatedBytes(), closer, zlib));
  }

  static Flow<WsFrame, WsFrame, NotUsed> deflater(Agreement agreement, Limits limits, TrafficStats stats, IntFunction<Deflater> zlib) {
    return Flow.fromGraph(new DeflateStage(agreement.serverNoContextTakeover(), limits.level(), stats, zlib));
  }

  /** One element in, at most one out: the shape both codec directions share. */
  private abstract static class OneToOptional extends GraphStage<FlowShape<WsFrame, WsFrame>> {
    final Inlet<WsFrame> in = Inlet.create(getClass().getSimpleName() + ".in");
    final Outlet<WsFrame> out = Outlet.create(getClass().getSimpleName() + ".out");
    private final FlowShape<WsFrame, WsFrame> shape = FlowShape.of(in, out);

    @Override
    public FlowShape<WsFrame, WsFrame> shape() {
      return shape;
    }

    abstract static class Logic extends GraphStageLogic {
      Logic(OneToOptional stage) {
        super(stage.shape);
        setHandler(stage.in, new AbstractInHandler() {
          @Override
          public void onPush() {
            WsFrame result = handle(grab(stage.in));
            if (result != null) push(stage.out, result);
            else pull(stage.in);
          }
        });
        setHandler(stage.out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            pull(stage.in);
          }
        });
      }

      abstract WsFrame handle(WsFrame frame);
    }
  }

  private static final class InflateStage extends OneToOptional {
    private final boolean resetPerMessage;
    private final long maxInflatedBytes;
    private final Closer closer;
    private final Supplier<Inflater> zlib;

    InflateStage(boolean resetPerMessage, long maxInflatedBytes, Closer closer, Supplier<Inflater> zlib) {
      this.resetPerMessage = resetPerMessage;
      this.maxInflatedBytes = maxInflatedBytes;
      this.closer = closer;
      this.zlib = zlib;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
      return new Logic(this) {
        private final Inflater inflater = zlib.get();
        private final byte[] chunk = new byte[CHUNK];
        private boolean inCompressedMessage;
        private WsFrame.Head compressedFrame;
        private Bytes inflated;
        private long messageBytes;
        // after a close request: data frames are dropped, control frames (the peer's close) pass
        private boolean failed;
        private boolean droppingFrame;

        @Override
        WsFrame handle(WsFrame frame) {
          if (frame instanceof WsFrame.Head h) {
            if (h.isControl()) return h;
            if (failed) {
              droppingFrame = !h.whole();
              return null;
            }
            boolean starts = h.rsv1() && (h.opcode() == WsFrame.TEXT || h.opcode() == WsFrame.BINARY) && !inCompressedMessage;
            boolean continues = !h.rsv1() && h.opcode() == WsFrame.CONTINUATION && inCompressedMessage;
            // anything else is either uncompressed or invalid: Pekko's frame handler judges it
            if (!starts && !continues) return h;
            inCompressedMessage = !h.fin();
            compressedFrame = h;
            inflated = new Bytes();
            return inflate(h.data(), h.whole());
          }
          if (frame instanceof WsFrame.Part p) {
            if (compressedFrame != null) return inflate(p.data(), p.last());
            if (droppingFrame) {
              droppingFrame = !p.last();
              return null;
            }
          }
          return frame;
        }

        private WsFrame inflate(ByteString data, boolean lastPart) {
          try {
            feed(data.toArrayUnsafe());
            if (!lastPart) return null;
            WsFrame.Head h = compressedFrame;
            if (h.fin()) feed(TAIL);
            compressedFrame = null;
            if (h.fin()) {
              messageBytes = 0;
              // a sender may end its deflate stream (BFINAL); the next message starts a new one
              if (resetPerMessage || inflater.finished()) inflater.reset();
            }
            return h.withPayload(false, inflated.result());
          } catch (DataFormatException e) {
            return fail(lastPart, CloseReason.INVALID_COMPRESSED_DATA, "invalid compressed data");
          } catch (TooBig e) {
            return fail(lastPart, CloseReason.MESSAGE_TOO_BIG, "message inflates past " + maxInflatedBytes + " bytes");
          }
        }

        private void feed(byte[] input) throws DataFormatException, TooBig {
          if (inflater.finished()) return;
          inflater.setInput(input);
          int n;
          while ((n = inflater.inflate(chunk)) > 0) {
            messageBytes += n;
            if (messageBytes > maxInflatedBytes) throw new TooBig();
            inflated.append(chunk, n);
          }
        }

        private WsFrame fail(boolean lastPart, CloseReason reason, String detail) {
          log.warn("event=ws_inbound_rejected reason={} detail=\"{}\"", reason.label, detail);
          failed = true;
          droppingFrame = !lastPart;
          compressedFrame = null;
          inflated = null;
          closer.close(reason, detail);
          return null;
        }

        @Override
        public void postStop() {
          inflater.end();
        }
      };
    }
  }

  private static final class TooBig extends Exception {
    TooBig() {
      super(null, null, false, false);
    }
  }

  private static final class DeflateStage extends OneToOptional {
    private final boolean resetPerMessage;
    private final int level;
    private final TrafficStats stats;
    private final IntFunction<Deflater> zlib;

    DeflateStage(boolean resetPerMessage, int level, TrafficStats stats, IntFunction<Deflater> zlib) {
      this.resetPerMessage = resetPerMessage;
      this.level = level;
      this.stats = stats;
      this.zlib = zlib;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
      return new Logic(this) {
        private final Deflater deflater = zlib.apply(level);
        private final byte[] chunk = new byte[CHUNK];
        // a data frame rendered in parts is collected first (Pekko renders whole frames today)
        private WsFrame.Head collecting;
        private Bytes collected;

        @Override
        WsFrame handle(WsFrame frame) {
          if (frame instanceof WsFrame.Head h && !h.isControl()) {
            if (h.whole()) return compress(h, h.data());
            collecting = h;
            collected = new Bytes();
            collected.append(h.data());
            return null;
          }
          if (frame instanceof WsFrame.Part p && collecting != null) {
            collected.append(p.data());
            if (!p.last()) return null;
            WsFrame.Head h = collecting;
            collecting = null;
            return compress(h, collected.result());
          }
          return frame;
        }

        private WsFrame compress(WsFrame.Head h, ByteString data) {
          deflater.setInput(data.toArrayUnsafe());
          Bytes out = new Bytes();
          int n;
          do {
            n = deflater.deflate(chunk, 0, chunk.length, Deflater.SYNC_FLUSH);
            out.append(chunk, n);
          } while (n == chunk.length);
          ByteString payload = h.fin() ? finalPayload(out) : out.result();
          if (h.fin() && resetPerMessage) deflater.reset();
          stats.compressed(data.size(), payload.size());
          return h.withPayload(h.opcode() != WsFrame.CONTINUATION, payload);
        }

        private ByteString finalPayload(Bytes out) {
          if (out.endsWith(TAIL)) out.drop(TAIL.length);
          return out.size() == 0 ? EMPTY_BLOCK : out.result();
        }

        @Override
        public void postStop() {
          deflater.end();
        }
      };
    }
  }

  /** A growable byte array: the codec's scratch output, handed on without another copy. */
  private static final class Bytes {
    private byte[] buf = new byte[256];
    private int size;

    void append(byte[] src, int n) {
      if (size + n > buf.length) buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
      System.arraycopy(src, 0, buf, size, n);
      size += n;
    }

    void append(ByteString src) {
      append(src.toArrayUnsafe(), src.size());
    }

    int size() {
      return size;
    }

    boolean endsWith(byte[] suffix) {
      if (size < suffix.length) return false;
      for (int i = 0; i < suffix.length; i++) if (buf[size - suffix.length + i] != suffix[i]) return false;
      return true;
    }

    void drop(int n) {
      size -= n;
    }

    ByteString result() {
      return size == 0 ? ByteString.emptyByteString() : ByteString.fromArrayUnsafe(buf, 0, size);
    }
  }
}
