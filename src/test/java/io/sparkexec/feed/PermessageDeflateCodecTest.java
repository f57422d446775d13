package io.sparkexec.feed;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The codec frame by frame, against the JDK's zlib playing the client. */
@ExtendWith(LogCapturingExtension.class)
class PermessageDeflateCodecTest {

  private static final PermessageDeflate.Agreement TAKEOVER = new PermessageDeflate.Agreement("permessage-deflate", false, false);
  private static final PermessageDeflate.Agreement NO_TAKEOVER = new PermessageDeflate.Agreement("x", true, true);
  private static final PermessageDeflate.Limits LIMITS = new PermessageDeflate.Limits(3, 64 * 1024);
  private static final byte[] TAIL = {0, 0, (byte) 0xff, (byte) 0xff};

  private static ActorSystem system;
  private static Materializer mat;

  @BeforeAll
  static void start() {
    system = ActorSystem.create("codec-test");
    mat = Materializer.matFromSystem(system);
  }

  @AfterAll
  static void stop() {
    system.terminate();
  }

  private static List<WsFrame> run(Flow<WsFrame, WsFrame, NotUsed> flow, WsFrame... in) throws Exception {
    return Source.from(List.of(in)).via(flow).runWith(Sink.seq(), mat).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static List<WsFrame> deflate(PermessageDeflate.Agreement a, WsFrame... in) throws Exception {
    return run(PermessageDeflate.deflater(a, LIMITS, TrafficStats.NONE), in);
  }

  private static List<WsFrame> inflate(PermessageDeflate.Agreement a, Closer closer, WsFrame... in) throws Exception {
    return run(PermessageDeflate.inflater(a, LIMITS, closer), in);
  }

  private static WsFrame.Head text(boolean fin, String s) {
    return WsFrame.Head.of(WsFrame.TEXT, fin, bytes(s));
  }

  private static WsFrame.Head cont(boolean fin, String s) {
    return WsFrame.Head.of(WsFrame.CONTINUATION, fin, bytes(s));
  }

  private static WsFrame.Head compressed(int opcode, boolean fin, boolean rsv1, byte[] data) {
    return new WsFrame.Head(opcode, fin, rsv1, false, false, data.length, ByteString.fromArray(data));
  }

  private static ByteString bytes(String s) {
    return ByteString.fromString(s, StandardCharsets.UTF_8);
  }

  private static WsFrame.Head head(WsFrame f) {
    return assertInstanceOf(WsFrame.Head.class, f);
  }

  /** What a permessage-deflate client does with one message's payloads. */
  private static String clientInflate(Inflater inflater, List<WsFrame> frames) throws Exception {
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    for (WsFrame f : frames) compressed.write(head(f).data().toArray());
    compressed.write(TAIL);
    inflater.setInput(compressed.toByteArray());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    int n;
    while ((n = inflater.inflate(buf)) > 0) out.write(buf, 0, n);
    return out.toString(StandardCharsets.UTF_8);
  }

  /** What a permessage-deflate client sends for one message (trailing 00 00 ff ff removed). */
  private static byte[] clientDeflate(Deflater deflater, String message) {
    deflater.setInput(message.getBytes(StandardCharsets.UTF_8));
    byte[] buf = new byte[1 << 20];
    int n = deflater.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH);
    return Arrays.copyOf(buf, n - 4);
  }

  @Test
  void aWholeMessageIsCompressedWithRsv1AndNoTail() throws Exception {
    WsFrame.Head out = head(deflate(TAKEOVER, text(true, "{\"channel\":\"market\"}")).get(0));
    assertTrue(out.rsv1());
    assertTrue(out.fin());
    byte[] p = out.data().toArray();
    assertFalse(p.length >= 4 && Arrays.equals(Arrays.copyOfRange(p, p.length - 4, p.length), TAIL));
    assertEquals("{\"channel\":\"market\"}", clientInflate(new Inflater(true), List.of(out)));
  }

  @Test
  void fragmentedMessageWithEmptyFinalFrameSendsOneZeroByteAndTheNextMessageStillDecodes() throws Exception {
    List<WsFrame> out = deflate(TAKEOVER, text(false, "abc"), cont(false, "def"), cont(true, ""), text(true, "ghi"));
    assertEquals(4, out.size());
    assertTrue(head(out.get(0)).rsv1());
    assertFalse(head(out.get(1)).rsv1(), "RSV1 on the first frame only");
    assertFalse(head(out.get(2)).rsv1());
    assertArrayEquals(new byte[] {0x00}, head(out.get(2)).data().toArray());
    Inflater client = new Inflater(true);
    assertEquals("abcdef", clientInflate(client, out.subList(0, 3)));
    assertEquals("ghi", clientInflate(client, out.subList(3, 4)));
  }

  @Test
  void controlFramesBetweenFragmentsPassUntouched() throws Exception {
    WsFrame.Head ping = WsFrame.Head.of(WsFrame.PING, true, bytes("p"));
    List<WsFrame> out = deflate(TAKEOVER, text(false, "abc"), ping, cont(true, "def"));
    assertEquals(ping, out.get(1));
    assertEquals("abcdef", clientInflate(new Inflater(true), List.of(out.get(0), out.get(2))));
  }

  @Test
  void emptyAndLargeMessages() throws Exception {
    StringBuilder large = new StringBuilder();
    for (int i = 0; large.length() < 2_000_000; i++) large.append("{\"seq\":").append(i).append(",\"px\":\"").append(i * 7919 % 100_000).append("\"}");
    List<WsFrame> out = deflate(TAKEOVER, text(true, ""), text(true, large.toString()), text(true, ""));
    assertArrayEquals(new byte[] {0x00}, head(out.get(0)).data().toArray());
    Inflater client = new Inflater(true);
    assertEquals("", clientInflate(client, out.subList(0, 1)));
    assertEquals(large.toString(), clientInflate(client, out.subList(1, 2)));
    assertEquals("", clientInflate(client, out.subList(2, 3)));
    assertTrue(head(out.get(1)).data().size() < large.length() / 3);
  }

  @Test
  void contextTakeoverShrinksRepeatsAndNoContextTakeoverDoesNot() throws Exception {
    String msg = "{\"channel\":\"orders\",\"seq\":1,\"event\":{\"type\":\"OrderAccepted\",\"symbol\":\"BTCUSDT\",\"side\":\"BUY\"}}";
    List<WsFrame> with = deflate(TAKEOVER, text(true, msg), text(true, msg));
    assertTrue(head(with.get(1)).data().size() < head(with.get(0)).data().size() / 2);
    List<WsFrame> without = deflate(NO_TAKEOVER, text(true, msg), text(true, msg));
    assertEquals(head(without.get(0)).data(), head(without.get(1)).data());
    assertEquals(msg, clientInflate(new Inflater(true), without.subList(1, 2)), "each message decodes on its own");
  }

  @Test
  void inboundFragmentsWithAPingBetweenAreInflatedFrameByFrame() throws Exception {
    String msg = "{\"op\":\"subscribe\",\"channels\":[\"market\",\"orders\"]}";
    byte[] c = clientDeflate(new Deflater(6, true), msg);
    int third = c.length / 3;
    WsFrame.Head ping = WsFrame.Head.of(WsFrame.PING, true, bytes("x"));
    List<WsFrame> out = inflate(TAKEOVER, new Closer(),
        compressed(WsFrame.TEXT, false, true, Arrays.copyOfRange(c, 0, third)),
        ping,
        compressed(WsFrame.CONTINUATION, false, false, Arrays.copyOfRange(c, third, 2 * third)),
        compressed(WsFrame.CONTINUATION, true, false, Arrays.copyOfRange(c, 2 * third, c.length)));
    assertEquals(ping, out.get(1));
    StringBuilder text = new StringBuilder();
    for (WsFrame f : List.of(out.get(0), out.get(2), out.get(3))) {
      assertFalse(head(f).rsv1());
      assertTrue(head(f).whole());
      text.append(head(f).data().utf8String());
    }
    assertEquals(WsFrame.TEXT, head(out.get(0)).opcode());
    assertTrue(head(out.get(3)).fin());
    assertEquals(msg, text.toString());
  }

  @Test
  void aFrameArrivingInPartsIsInflatedWhole() throws Exception {
    String msg = "x".repeat(5000);
    byte[] c = clientDeflate(new Deflater(6, true), msg);
    List<WsFrame> out = inflate(TAKEOVER, new Closer(),
        new WsFrame.Head(WsFrame.TEXT, true, true, false, false, c.length, ByteString.fromArray(Arrays.copyOf(c, 3))),
        new WsFrame.Part(ByteString.fromArray(Arrays.copyOfRange(c, 3, c.length)), true));
    assertEquals(1, out.size());
    assertEquals(msg, head(out.get(0)).data().utf8String());
  }

  @Test
  void uncompressedInboundPassesThrough() throws Exception {
    WsFrame.Head plain = text(true, "{\"op\":\"subscribe\"}");
    assertEquals(List.of(plain), inflate(TAKEOVER, new Closer(), plain));
  }

  @Test
  void inboundContextTakeoverAndNot() throws Exception {
    Deflater shared = new Deflater(6, true);
    List<WsFrame> out = inflate(TAKEOVER, new Closer(),
        compressed(WsFrame.TEXT, true, true, clientDeflate(shared, "hello hello")),
        compressed(WsFrame.TEXT, true, true, clientDeflate(shared, "hello hello")));
    assertEquals("hello hello", head(out.get(1)).data().utf8String());
    List<WsFrame> fresh = inflate(NO_TAKEOVER, new Closer(),
        compressed(WsFrame.TEXT, true, true, clientDeflate(new Deflater(6, true), "one")),
        compressed(WsFrame.TEXT, true, true, clientDeflate(new Deflater(6, true), "two")));
    assertEquals("two", head(fresh.get(1)).data().utf8String());
  }

  @Test
  void corruptDataAsksForClose1007AndDropsTheRestButNotControlFrames() throws Exception {
    Closer closer = new Closer();
    WsFrame.Head close = WsFrame.Head.of(WsFrame.CLOSE, true, ByteString.fromArray(new byte[] {0x03, (byte) 0xe8}));
    List<WsFrame> out = inflate(TAKEOVER, closer,
        compressed(WsFrame.TEXT, true, true, new byte[] {(byte) 0xff, (byte) 0xfe, 0x01, 0x02}),
        text(true, "after"),
        close);
    assertEquals(List.of(close), out);
    assertEquals(CloseReason.INVALID_COMPRESSED_DATA, closer.requested().orElseThrow().reason());
    assertEquals(1007, CloseReason.INVALID_COMPRESSED_DATA.code);
  }

  @Test
  void aBombAsksForClose1009() throws Exception {
    Closer closer = new Closer();
    byte[] bomb = clientDeflate(new Deflater(9, true), "0".repeat(10 * 1024 * 1024));
    assertTrue(bomb.length < 64 * 1024);
    List<WsFrame> out = inflate(TAKEOVER, closer, compressed(WsFrame.TEXT, true, true, bomb));
    assertTrue(out.isEmpty());
    assertEquals(CloseReason.MESSAGE_TOO_BIG, closer.requested().orElseThrow().reason());
    assertEquals(1009, CloseReason.MESSAGE_TOO_BIG.code);
  }

  @Test
  void theLimitCountsTheWholeMessageAcrossFrames() throws Exception {
    Closer closer = new Closer();
    Deflater client = new Deflater(6, true);
    List<WsFrame> frames = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      client.setInput(new byte[30 * 1024]);
      byte[] buf = new byte[64 * 1024];
      int n = client.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH);
      frames.add(compressed(i == 0 ? WsFrame.TEXT : WsFrame.CONTINUATION, false, i == 0, Arrays.copyOf(buf, n)));
    }
    List<WsFrame> out = inflate(TAKEOVER, closer, frames.toArray(WsFrame[]::new));
    assertEquals(2, out.size(), "60 KiB pass, the third 30 KiB frame crosses 64 KiB");
    assertEquals(CloseReason.MESSAGE_TOO_BIG, closer.requested().orElseThrow().reason());
  }

  @Test
  void nativeMemoryIsReleasedWhenTheStreamEndsFailsOrIsCancelled() throws Exception {
    AtomicInteger live = new AtomicInteger();
    AtomicInteger made = new AtomicInteger();
    Supplier<Inflater> inflaters = () -> {
      made.incrementAndGet();
      live.incrementAndGet();
      return new Inflater(true) {
        @Override
        public void end() {
          live.decrementAndGet();
          super.end();
        }
      };
    };
    IntFunction<Deflater> deflaters = level -> {
      made.incrementAndGet();
      live.incrementAndGet();
      return new Deflater(level, true) {
        @Override
        public void end() {
          live.decrementAndGet();
          super.end();
        }
      };
    };
    Flow<WsFrame, WsFrame, NotUsed> both = PermessageDeflate.inflater(TAKEOVER, LIMITS, new Closer(), inflaters)
        .via(PermessageDeflate.deflater(TAKEOVER, LIMITS, TrafficStats.NONE, deflaters));
    // completed
    run(both, text(true, "a"), text(true, "b"));
    // failed upstream
    Source.<WsFrame>failed(new IllegalStateException("connection reset")).via(both).runWith(Sink.ignore(), mat)
        .handle((d, e) -> d).toCompletableFuture().get(30, TimeUnit.SECONDS);
    // cancelled downstream, the upstream never ending (a client gone while the feed still sends)
    Source.<WsFrame>repeat(text(true, "tick")).via(both).take(3).runWith(Sink.ignore(), mat).toCompletableFuture().get(30, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(30)).until(() -> live.get() == 0);
    assertEquals(6, made.get(), "an inflater and a deflater per run");
  }

  @Test
  void statsSeeRawAndWireBytes() throws Exception {
    long[] seen = new long[2];
    TrafficStats stats = new TrafficStats() {
      @Override
      public void compressed(long raw, long wire) {
        seen[0] += raw;
        seen[1] += wire;
      }

      @Override
      public void plain(long bytes) {}
    };
    String msg = "{\"channel\":\"market\",\"symbol\":\"BTCUSDT\"}".repeat(20);
    List<WsFrame> out = run(PermessageDeflate.deflater(TAKEOVER, LIMITS, stats), text(true, msg));
    assertEquals(msg.length(), seen[0]);
    assertEquals(head(out.get(0)).data().size(), seen[1]);
  }
}
