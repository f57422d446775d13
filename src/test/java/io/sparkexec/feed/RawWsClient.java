package io.sparkexec.feed;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * A WebSocket client on a bare socket, so tests control what the JDK client hides: the
 * extensions offer, raw frames both ways (compressed or corrupt ones), answering pings or not,
 * and not reading at all.
 */
final class RawWsClient implements AutoCloseable {

  record Frame(int opcode, boolean fin, boolean rsv1, byte[] payload) {
    String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    int closeCode() {
      return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
    }
  }

  /** A whole message, or the close frame that ended the connection. */
  record Received(String text, Frame close) {}

  final int status;
  final Map<String, String> headers;
  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final SecureRandom random = new SecureRandom();
  private final Inflater inflater = new Inflater(true);
  private final Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
  volatile boolean answerPings = true;
  final java.util.concurrent.atomic.AtomicInteger pingsAnswered = new java.util.concurrent.atomic.AtomicInteger();

  private RawWsClient(Socket socket, int status, Map<String, String> headers) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
    this.status = status;
    this.headers = headers;
  }

  /** {@code extensions} null: no offer. {@code receiveBuffer} 0: the OS default. */
  static RawWsClient connect(int port, String pathAndQuery, String apiKey, String extensions, int receiveBuffer) throws IOException {
    Socket s = new Socket();
    if (receiveBuffer > 0) s.setReceiveBufferSize(receiveBuffer);
    s.connect(new InetSocketAddress("127.0.0.1", port), 30_000);
    s.setSoTimeout(60_000);
    byte[] key = new byte[16];
    new SecureRandom().nextBytes(key);
    StringBuilder req = new StringBuilder()
        .append("GET ").append(pathAndQuery).append(" HTTP/1.1\r\n")
        .append("Host: 127.0.0.1:").append(port).append("\r\n")
        .append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
        .append("Sec-WebSocket-Key: ").append(Base64.getEncoder().encodeToString(key)).append("\r\n");
    if (apiKey != null) req.append("X-API-Key: ").append(apiKey).append("\r\n");
    if (extensions != null) req.append("Sec-WebSocket-Extensions: ").append(extensions).append("\r\n");
    req.append("\r\n");
    s.getOutputStream().write(req.toString().getBytes(StandardCharsets.US_ASCII));
    DataInputStream in = new DataInputStream(s.getInputStream());
    String statusLine = line(in);
    Map<String, String> headers = new LinkedHashMap<>();
    for (String l = line(in); !l.isEmpty(); l = line(in)) {
      int colon = l.indexOf(':');
      headers.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
    }
    RawWsClient c = new RawWsClient(s, Integer.parseInt(statusLine.split(" ")[1]), headers);
    return c;
  }

  private static String line(DataInputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) throw new IOException("connection closed during the handshake");
      if (c != '\r') b.write(c);
    }
    return b.toString(StandardCharsets.US_ASCII);
  }

  String extensions() {
    return headers.get("sec-websocket-extensions");
  }

  Frame readFrame() throws IOException {
    int b0 = in.readUnsignedByte();
    int b1 = in.readUnsignedByte();
    long len = b1 & 0x7f;
    if (len == 126) len = in.readUnsignedShort();
    else if (len == 127) len = in.readLong();
    byte[] payload = new byte[(int) len];
    in.readFully(payload);
    return new Frame(b0 & 0x0f, (b0 & 0x80) != 0, (b0 & 0x40) != 0, payload);
  }

  /**
   * The next whole message (inflated when compressed), answering pings on the way (unless told
   * not to); a close frame ends it.
   */
  Received readMessage() throws IOException {
    ByteArrayOutputStream msg = new ByteArrayOutputStream();
    boolean compressed = false;
    while (true) {
      Frame f = readFrame();
      if (f.opcode() == WsFrame.PING) {
        if (answerPings) {
          send(WsFrame.PONG, true, false, f.payload());
          pingsAnswered.incrementAndGet();
        }
        continue;
      }
      if (f.opcode() == WsFrame.PONG) continue;
      if (f.opcode() == WsFrame.CLOSE) return new Received(null, f);
      if (f.opcode() != WsFrame.CONTINUATION) compressed = f.rsv1();
      msg.write(f.payload());
      if (!f.fin()) continue;
      byte[] data = msg.toByteArray();
      return new Received(new String(compressed ? inflate(data) : data, StandardCharsets.UTF_8), null);
    }
  }

  /** The next text message; fails on a close frame. */
  String readText() throws IOException {
    Received r = readMessage();
    if (r.close() != null) throw new IOException("closed with " + r.close().closeCode() + " " + new String(r.close().payload(), 2,
        Math.max(0, r.close().payload().length - 2), StandardCharsets.UTF_8));
    return r.text();
  }

  /** Reads until the server's close frame and answers it; returns its code. */
  int awaitClose() throws IOException {
    while (true) {
      Received r = readMessage();
      if (r.close() != null) {
        send(WsFrame.CLOSE, true, false, new byte[] {(byte) (r.close().closeCode() >> 8), (byte) r.close().closeCode()});
        return r.close().closeCode();
      }
    }
  }

  private byte[] inflate(byte[] data) throws IOException {
    try {
      inflater.setInput(concat(data, new byte[] {0, 0, (byte) 0xff, (byte) 0xff}));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      int n;
      while ((n = inflater.inflate(buf)) > 0) out.write(buf, 0, n);
      return out.toByteArray();
    } catch (DataFormatException e) {
      throw new IOException("server sent invalid compressed data", e);
    }
  }

  /** Compresses like a permessage-deflate client with context takeover (trailing 00 00 ff ff removed). */
  byte[] deflate(byte[] data) {
    deflater.setInput(data);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    int n;
    do {
      n = deflater.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH);
      out.write(buf, 0, n);
    } while (n == buf.length);
    byte[] b = out.toByteArray();
    return java.util.Arrays.copyOf(b, b.length - 4);
  }

  void sendText(String text) throws IOException {
    send(WsFrame.TEXT, true, false, text.getBytes(StandardCharsets.UTF_8));
  }

  void send(int opcode, boolean fin, boolean rsv1, byte[] payload) throws IOException {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode);
    if (payload.length < 126) f.write(0x80 | payload.length);
    else if (payload.length < 65536) {
      f.write(0x80 | 126);
      f.write(payload.length >> 8);
      f.write(payload.length);
    } else {
      f.write(0x80 | 127);
      for (int i = 7; i >= 0; i--) f.write((int) ((long) payload.length >> (8 * i)));
    }
    byte[] mask = new byte[4];
    random.nextBytes(mask);
    f.write(mask);
    for (int i = 0; i < payload.length; i++) f.write(payload[i] ^ mask[i % 4]);
    synchronized (out) {
      out.write(f.toByteArray());
      out.flush();
    }
  }

  /** A frame head declaring {@code declaredLength} payload bytes (64-bit length field), followed by {@code first} of them only. */
  void sendHead(int opcode, boolean rsv1, long declaredLength, byte[] first) throws IOException {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write(0x80 | (rsv1 ? 0x40 : 0) | opcode);
    f.write(0x80 | 127);
    for (int i = 7; i >= 0; i--) f.write((int) (declaredLength >> (8 * i)));
    byte[] mask = new byte[4];
    random.nextBytes(mask);
    f.write(mask);
    for (int i = 0; i < first.length; i++) f.write(first[i] ^ mask[i % 4]);
    synchronized (out) {
      out.write(f.toByteArray());
      out.flush();
    }
  }

  /** The reason text of a close frame. */
  static String closeReason(Frame close) {
    return close.payload().length <= 2 ? "" : new String(close.payload(), 2, close.payload().length - 2, StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  @Override
  public void close() throws IOException {
    inflater.end();
    deflater.end();
    socket.close();
  }
}
