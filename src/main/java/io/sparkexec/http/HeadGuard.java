package io.sparkexec.http;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BidiShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks each request's head on the connection's raw bytes before pekko-http's parser sees them.
 *
 * <p>Why: pekko-http 1.3.0's {@code HttpHeaderParser.scanHeaderValue} takes a byte 0xC0-0xF7 as the
 * lead of a 2-4 byte UTF-8 sequence and consumes the next 1-3 bytes unchecked, CR LF included, so
 * the header line runs on into the next one (a following X-API-Key or Content-Length vanishes, the
 * body becomes a second request; at the end of the head the parser waits for bytes that never come).
 * No setting turns that off, so the rule here is: a head is printable ASCII and HTAB in lines ending
 * in CRLF, nothing else (no bare CR or LF, no obs-fold). A head that breaks it answers 400 JSON and
 * the connection closes; nothing of that request reaches the parser.
 *
 * <p>Bodies are not inspected: the guard follows HTTP/1.1 framing (Content-Length, chunked with its
 * size lines and trailers checked, pipelining) and passes body bytes through as they are. After a
 * request with {@code Upgrade} it holds further bytes until the answer: a 101 makes the rest of the
 * connection a tunnel (the WebSocket feed), any other answer resumes checking.
 */
final class HeadGuard extends GraphStage<BidiShape<ByteString, ByteString, ByteString, ByteString>> {

  private static final Logger log = LoggerFactory.getLogger(HeadGuard.class);
  private static final ByteString SWITCHING = ByteString.fromString("HTTP/1.1 101", StandardCharsets.US_ASCII);
  private static final ByteString RESPONSE = ByteString.fromString("HTTP/1.", StandardCharsets.US_ASCII);
  private static final int MAX_CHUNK_LINE = 1024;
  private static final Pattern VERSION = Pattern.compile("HTTP/[0-9]\\.[0-9]");
  private static final Pattern DECIMAL = Pattern.compile("[0-9]{1,18}");
  private static final Pattern LEADING_ZEROS = Pattern.compile("^0+(?=.)");
  private static final Pattern HEX = Pattern.compile("[0-9A-Fa-f]{1,15}");

  /** {@code maxHeadBytes}: a longer head answers 431; {@code headerTimeout}: a head not complete this long after it began (or the connection opened) answers 408. */
  record Settings(int maxHeadBytes, Duration headerTimeout) {}

  private final Inlet<ByteString> fromClient = Inlet.create("HeadGuard.fromClient");
  private final Outlet<ByteString> toParser = Outlet.create("HeadGuard.toParser");
  private final Inlet<ByteString> fromServer = Inlet.create("HeadGuard.fromServer");
  private final Outlet<ByteString> toClient = Outlet.create("HeadGuard.toClient");
  private final BidiShape<ByteString, ByteString, ByteString, ByteString> shape = BidiShape.of(fromClient, toParser, fromServer, toClient);
  private final Settings settings;
  private final String client;

  HeadGuard(Settings settings, String client) {
    this.settings = settings;
    this.client = client;
  }

  @Override
  public BidiShape<ByteString, ByteString, ByteString, ByteString> shape() {
    return shape;
  }

  /** A whole HTTP/1.1 answer for a refused head: our JSON error, then the connection closes. */
  static ByteString render(HttpResponse response) {
    ByteString body = ((HttpEntity.Strict) response.entity()).getData();
    StringBuilder head = new StringBuilder("HTTP/1.1 ").append(response.status().intValue()).append(' ').append(response.status().reason())
        .append("\r\nContent-Type: application/json\r\nContent-Length: ").append(body.size()).append("\r\nConnection: close\r\n");
    response.getHeaders().forEach(h -> head.append(h.name()).append(": ").append(h.value()).append("\r\n"));
    return ByteString.fromString(head.append("\r\n").toString(), StandardCharsets.US_ASCII).concat(body);
  }

  private static boolean startsWith(ByteString data, ByteString prefix) {
    return data.size() >= prefix.size() && data.take(prefix.size()).equals(prefix);
  }

  private enum Mode { HEAD, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, UPGRADE_PENDING, TUNNEL, REFUSED }

  /** Thrown inside the scan only; becomes the 4xx answer. */
  private static final class Refusal extends Exception {
    final int status;
    final String code;
    final String field;

    Refusal(int status, String code, String message, String field) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
      this.field = field;
    }
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new TimerGraphStageLogic(shape) {
      private Mode mode = Mode.HEAD;
      private Mode afterBody = Mode.HEAD;
      // bytes of the current request's head, sent to the parser only once all of it passed
      private final ByteStringBuilder head = new ByteStringBuilder();
      // the current line (request line, header, chunk size, trailer), all checked ASCII
      private final StringBuilder line = new StringBuilder();
      private boolean cr;
      private int lineNo;
      private long remaining;
      private String contentLength;
      private String transferEncoding;
      private boolean upgrade;
      private ByteString held = ByteString.emptyByteString();
      private ByteString refusal;
      private boolean serverDone;
      private boolean draining;

      {
        setHandler(fromClient, new AbstractInHandler() {
          @Override
          public void onPush() {
            ByteString data = grab(fromClient);
            if (mode == Mode.REFUSED || draining) pull(fromClient);
            else scan(data);
          }

          @Override
          public void onUpstreamFinish() {
            if (mode != Mode.REFUSED) complete(toParser);
          }
        });
        setHandler(toParser, new AbstractOutHandler() {
          @Override
          public void onPull() {
            resume();
          }

          @Override
          public void onDownstreamFinish(Throwable cause) {
            // the parser gave up (its own 4xx is on the way out): drop what else comes; cancelling
            // the socket's read side would close the connection before that answer is written
            draining = true;
            if (!hasBeenPulled(fromClient) && !isClosed(fromClient)) pull(fromClient);
          }
        });
        setHandler(fromServer, new AbstractInHandler() {
          @Override
          public void onPush() {
            ByteString out = grab(fromServer);
            if (mode == Mode.UPGRADE_PENDING && startsWith(out, RESPONSE)) {
              mode = startsWith(out, SWITCHING) ? Mode.TUNNEL : Mode.HEAD;
              if (isAvailable(toParser)) resume();
            }
            push(toClient, out);
          }

          @Override
          public void onUpstreamFinish() {
            serverDone = true;
            if (refusal != null) emit(toClient, refusal, () -> completeStage());
            else if (mode != Mode.REFUSED) completeStage();
          }
        });
        setHandler(toClient, new AbstractOutHandler() {
          @Override
          public void onPull() {
            if (!isClosed(fromServer) && !hasBeenPulled(fromServer)) pull(fromServer);
          }
        });
      }

      @Override
      public void preStart() {
        scheduleOnce("head", settings.headerTimeout());
      }

      @Override
      public void onTimer(Object key) {
        if (mode == Mode.HEAD) {
          refuse(new ByteStringBuilder(), new Refusal(408, "REQUEST_HEAD_TIMEOUT",
              "the request line and headers did not arrive within " + settings.headerTimeout().toMillis() + " ms", null));
        }
      }

      /** The parser wants bytes: what was held during an upgrade first, else more from the client. */
      private void resume() {
        if (mode == Mode.UPGRADE_PENDING || mode == Mode.REFUSED) return;
        if (!held.isEmpty()) {
          ByteString h = held;
          held = ByteString.emptyByteString();
          scan(h);
        } else if (!hasBeenPulled(fromClient) && !isClosed(fromClient)) {
          pull(fromClient);
        }
      }

      private void scan(ByteString data) {
        ByteStringBuilder out = new ByteStringBuilder();
        try {
          int i = 0;
          int n = data.size();
          while (i < n) {
            switch (mode) {
              case TUNNEL -> {
                out.append(data.drop(i));
                i = n;
              }
              case UPGRADE_PENDING -> {
                held = data.drop(i);
                i = n;
              }
              case BODY, CHUNK_DATA -> {
                int take = (int) Math.min(remaining, n - i);
                out.append(data.slice(i, i + take));
                i += take;
                remaining -= take;
                if (remaining == 0) mode = mode == Mode.BODY ? endOfRequest() : Mode.CHUNK_END;
              }
              case HEAD -> {
                if (!isTimerActive("head")) scheduleOnce("head", settings.headerTimeout());
                byte b = data.apply(i++);
                head.putByte(b);
                if (head.length() > settings.maxHeadBytes()) {
                  throw new Refusal(431, "REQUEST_HEAD_TOO_LARGE", "the request line and headers are longer than " + settings.maxHeadBytes() + " bytes", null);
                }
                if (lineEnded(b, settings.maxHeadBytes())) headLine(out);
              }
              case CHUNK_SIZE, TRAILERS, CHUNK_END -> {
                byte b = data.apply(i++);
                out.putByte(b);
                if (lineEnded(b, MAX_CHUNK_LINE)) chunkLine();
              }
              case REFUSED -> i = n;
            }
          }
          flush(out);
        } catch (Refusal r) {
          refuse(out, r);
        }
      }

      /** Checks one byte of a line; true at the line's CRLF (the line, without it, is in {@link #line}). */
      private boolean lineEnded(byte b, int maxLine) throws Refusal {
        if (cr) {
          if (b != '\n') throw new Refusal(400, "INVALID_REQUEST_HEAD", "CR must be followed by LF", lineField());
          cr = false;
          return true;
        }
        if (b == '\r') {
          cr = true;
        } else if (b == '\n') {
          throw new Refusal(400, "INVALID_REQUEST_HEAD", "lines must end in CRLF, not a bare LF", lineField());
        } else if ((b < 0x20 && b != '\t') || b >= 0x7F) {
          throw new Refusal(400, "INVALID_REQUEST_HEAD",
              String.format("byte 0x%02X is not allowed in the request line, headers or chunk framing (printable ASCII and tab only)", b & 0xFF), lineField());
        } else {
          if (line.length() >= maxLine) throw new Refusal(431, "REQUEST_HEAD_TOO_LARGE", "a line is longer than " + maxLine + " bytes", lineField());
          line.append((char) b);
        }
        return false;
      }

      /** What a refusal names: the header being read, else the part of the message. */
      private String lineField() {
        if (mode == Mode.HEAD && lineNo == 0) return "request line";
        if (mode == Mode.CHUNK_SIZE || mode == Mode.CHUNK_END) return "chunk size";
        int colon = line.indexOf(":");
        return colon > 0 ? line.substring(0, colon) : "header";
      }

      private void headLine(ByteStringBuilder out) throws Refusal {
        String l = line.toString();
        line.setLength(0);
        if (lineNo == 0) {
          // empty lines before a request line are allowed (RFC 9112 2.2) and passed on
          if (l.isEmpty()) return;
          requestLine(l);
          lineNo = 1;
          return;
        }
        if (!l.isEmpty()) {
          header(l);
          lineNo++;
          return;
        }
        // end of head: framing decides what follows
        cancelTimer("head");
        out.append(head.result());
        head.clear();
        lineNo = 0;
        if (transferEncoding != null && contentLength != null) {
          throw new Refusal(400, "INVALID_REQUEST_HEAD", "a request may not carry both Transfer-Encoding and Content-Length", "Transfer-Encoding");
        }
        afterBody = upgrade ? Mode.UPGRADE_PENDING : Mode.HEAD;
        if (transferEncoding != null) {
          if (!transferEncoding.equals("chunked")) {
            throw new Refusal(400, "INVALID_REQUEST_HEAD", "Transfer-Encoding must be exactly chunked", "Transfer-Encoding");
          }
          mode = Mode.CHUNK_SIZE;
        } else if (contentLength != null && !contentLength.equals("0")) {
          remaining = Long.parseLong(contentLength);
          mode = Mode.BODY;
        } else {
          mode = endOfRequest();
        }
        contentLength = null;
        transferEncoding = null;
        upgrade = false;
      }

      private void requestLine(String l) throws Refusal {
        String[] parts = l.split(" ", -1);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
          throw new Refusal(400, "MALFORMED_REQUEST_LINE", "the request line must be: METHOD SP target SP HTTP/1.1", "request line");
        }
        if (!parts[2].equals("HTTP/1.1") && !parts[2].equals("HTTP/1.0")) {
          if (VERSION.matcher(parts[2]).matches()) {
            throw new Refusal(505, "HTTP_VERSION_NOT_SUPPORTED", "only HTTP/1.0 and HTTP/1.1 are served", "request line");
          }
          throw new Refusal(400, "MALFORMED_REQUEST_LINE", "the request line must end in HTTP/1.1 or HTTP/1.0", "request line");
        }
      }

      private void header(String l) throws Refusal {
        if (l.charAt(0) == ' ' || l.charAt(0) == '\t') {
          throw new Refusal(400, "INVALID_REQUEST_HEAD", "folded header lines (obs-fold) are not accepted", "header");
        }
        int colon = l.indexOf(':');
        if (colon <= 0) throw new Refusal(400, "INVALID_REQUEST_HEAD", "a header line must be name: value", "header");
        // only the framing headers matter here; the others pass without a copy
        if (isName(l, colon, "content-length")) {
          String value = l.substring(colon + 1).strip();
          String number = LEADING_ZEROS.matcher(value).replaceFirst("");
          if (!DECIMAL.matcher(value).matches() || (contentLength != null && !contentLength.equals(number))) {
            throw new Refusal(400, "INVALID_REQUEST_HEAD", "Content-Length must be one decimal number", "Content-Length");
          }
          contentLength = number;
        } else if (isName(l, colon, "transfer-encoding")) {
          String v = l.substring(colon + 1).strip().toLowerCase(Locale.ROOT);
          transferEncoding = transferEncoding == null ? v : transferEncoding + "," + v;
        } else if (isName(l, colon, "upgrade")) {
          upgrade = true;
        }
      }

      private static boolean isName(String line, int colon, String lowerCaseName) {
        return colon == lowerCaseName.length() && line.regionMatches(true, 0, lowerCaseName, 0, colon);
      }

      private void chunkLine() throws Refusal {
        String l = line.toString();
        line.setLength(0);
        switch (mode) {
          case CHUNK_SIZE -> {
            String size = l.contains(";") ? l.substring(0, l.indexOf(';')) : l;
            if (!HEX.matcher(size).matches()) throw new Refusal(400, "INVALID_REQUEST_HEAD", "a chunk size must be hex digits", "chunk size");
            remaining = Long.parseLong(size, 16);
            mode = remaining == 0 ? Mode.TRAILERS : Mode.CHUNK_DATA;
          }
          case CHUNK_END -> {
            if (!l.isEmpty()) throw new Refusal(400, "INVALID_REQUEST_HEAD", "chunk data must be followed by CRLF", "chunk size");
            mode = Mode.CHUNK_SIZE;
          }
          case TRAILERS -> {
            if (l.isEmpty()) mode = endOfRequest();
            else if (l.indexOf(':') <= 0 || l.charAt(0) == ' ' || l.charAt(0) == '\t') {
              throw new Refusal(400, "INVALID_REQUEST_HEAD", "a trailer line must be name: value", "trailer");
            }
          }
          default -> throw new IllegalStateException("not a chunk line in " + mode);
        }
      }

      private Mode endOfRequest() {
        return afterBody;
      }

      private void flush(ByteStringBuilder out) {
        if (out.length() > 0) push(toParser, out.result());
        else if (mode != Mode.UPGRADE_PENDING && !isClosed(fromClient)) pull(fromClient);
      }

      private void refuse(ByteStringBuilder out, Refusal r) {
        mode = Mode.REFUSED;
        cancelTimer("head");
        log.info("event=http_head_refused client={} status={} code={} field=\"{}\" reason=\"{}\"", client, r.status, r.code, r.field, r.getMessage());
        refusal = render(ApiErrors.response(r.status, r.code, r.getMessage(), r.field, r.status == 431 ? Map.of("limitBytes", settings.maxHeadBytes()) : null));
        // keep reading (and dropping): cancelling the socket's read side would close it before the answer
        if (!hasBeenPulled(fromClient) && !isClosed(fromClient)) pull(fromClient);
        // what passed before this request still gets its answers; the refusal follows them, then the connection closes
        if (out.length() > 0) emit(toParser, out.result(), () -> complete(toParser));
        else complete(toParser);
        if (serverDone) emit(toClient, refusal, () -> completeStage());
      }
    };
  }
}
