package io.sparkexec.feed;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
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

/**
 * The frame layer next to the network, for every connection (compressed or not): pings every
 * {@code pingInterval} and closes with {@link CloseReason#PONG_TIMEOUT} when no pong follows
 * within {@code pongTimeout} of a ping falling due (a client too stuck to read the ping counts
 * as dead too). It also counts plain payload bytes and notes the code of the peer's close frame.
 * Pekko 1.3 can send pings but never checks for the answer, which needs this layer.
 */
final class Watchdog extends GraphStage<BidiShape<WsFrame, WsFrame, WsFrame, WsFrame>> {

  private static final String PING = "ping";
  private static final String PONG_DEADLINE = "pong-deadline";

  private final Inlet<WsFrame> netIn = Inlet.create("Watchdog.netIn");
  private final Outlet<WsFrame> appOut = Outlet.create("Watchdog.appOut");
  private final Inlet<WsFrame> appIn = Inlet.create("Watchdog.appIn");
  private final Outlet<WsFrame> netOut = Outlet.create("Watchdog.netOut");
  private final BidiShape<WsFrame, WsFrame, WsFrame, WsFrame> shape = BidiShape.of(netIn, appOut, appIn, netOut);

  private final Duration pingInterval;
  private final Duration pongTimeout;
  private final Closer closer;
  private final TrafficStats plainStats;
  private final CloseListener closes;

  /** Close frames seen in either direction: the peer's, and the one Pekko sends. */
  interface CloseListener {
    void peerClosed(int code);

    void closeSent(int code);
  }

  /** A zero {@code pingInterval} turns pinging off; {@code plainStats} sees payload bytes of uncompressed connections. */
  Watchdog(Duration pingInterval, Duration pongTimeout, Closer closer, TrafficStats plainStats, CloseListener closes) {
    this.pingInterval = pingInterval;
    this.pongTimeout = pongTimeout;
    this.closer = closer;
    this.plainStats = plainStats;
    this.closes = closes;
  }

  @Override
  public BidiShape<WsFrame, WsFrame, WsFrame, WsFrame> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes attributes) {
    return new TimerGraphStageLogic(shape) {
      private long pings;
      private boolean pingDue;
      private boolean awaitingPong;
      // the network side may be mid-frame; a ping waits for the frame's end, data waits for the ping
      private boolean midFrame;
      private boolean inDataFrame;
      private WsFrame held;

      {
        setHandler(netIn, new AbstractInHandler() {
          @Override
          public void onPush() {
            WsFrame f = grab(netIn);
            if (f instanceof WsFrame.Head h && h.opcode() == WsFrame.PONG) {
              awaitingPong = false;
              cancelTimer(PONG_DEADLINE);
            } else if (f instanceof WsFrame.Head h && h.opcode() == WsFrame.CLOSE) {
              closes.peerClosed(closeCode(h));
            }
            push(appOut, f);
          }

          @Override
          public void onUpstreamFinish() {
            complete(appOut);
          }
        });
        setHandler(appOut, new AbstractOutHandler() {
          @Override
          public void onPull() {
            pull(netIn);
          }

          @Override
          public void onDownstreamFinish(Throwable cause) {
            cancel(netIn, cause);
          }
        });
        setHandler(appIn, new AbstractInHandler() {
          @Override
          public void onPush() {
            WsFrame f = grab(appIn);
            if (isAvailable(netOut)) send(f);
            else held = f;
          }

          @Override
          public void onUpstreamFinish() {
            if (held != null) emit(netOut, held);
            held = null;
            complete(netOut);
          }
        });
        setHandler(netOut, new AbstractOutHandler() {
          @Override
          public void onPull() {
            if (pingDue && !midFrame) sendPing();
            else if (held != null) {
              WsFrame f = held;
              held = null;
              send(f);
            } else if (!hasBeenPulled(appIn) && !isClosed(appIn)) pull(appIn);
          }

          @Override
          public void onDownstreamFinish(Throwable cause) {
            cancel(appIn, cause);
          }
        });
      }

      @Override
      public void preStart() {
        if (!pingInterval.isZero()) scheduleWithFixedDelay(PING, pingInterval, pingInterval);
      }

      @Override
      public void onTimer(Object key) {
        if (PONG_DEADLINE.equals(key)) {
          closer.close(CloseReason.PONG_TIMEOUT, "no pong within " + pongTimeout.toSeconds() + " s");
        } else if (!awaitingPong && closer.requested().isEmpty()) {
          awaitingPong = true;
          scheduleOnce(PONG_DEADLINE, pongTimeout);
          pingDue = true;
          if (isAvailable(netOut) && !midFrame && held == null) sendPing();
        }
      }

      private void sendPing() {
        pingDue = false;
        push(netOut, WsFrame.Head.of(WsFrame.PING, true, ByteString.fromString(Long.toString(++pings), StandardCharsets.US_ASCII)));
      }

      private void send(WsFrame f) {
        if (f instanceof WsFrame.Head h) {
          midFrame = !h.whole();
          inDataFrame = !h.isControl();
          if (inDataFrame) plainStats.plain(h.data().size());
          if (h.opcode() == WsFrame.CLOSE) closes.closeSent(closeCode(h));
        } else if (f instanceof WsFrame.Part p) {
          midFrame = !p.last();
          if (inDataFrame) plainStats.plain(p.data().size());
        }
        push(netOut, f);
      }
    };
  }

  /** 1005 (no status) when the close frame carries no code. */
  private static int closeCode(WsFrame.Head close) {
    ByteString d = close.data();
    return d.size() >= 2 ? ((d.apply(0) & 0xff) << 8) | (d.apply(1) & 0xff) : 1005;
  }
}
