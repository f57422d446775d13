package io.sparkexec.feed;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.impl.engine.ws.FrameData;
import org.apache.pekko.http.impl.engine.ws.FrameEvent;
import org.apache.pekko.http.impl.engine.ws.FrameEventOrError;
import org.apache.pekko.http.impl.engine.ws.FrameHandler;
import org.apache.pekko.http.impl.engine.ws.FrameHeader;
import org.apache.pekko.http.impl.engine.ws.FrameStart;
import org.apache.pekko.http.impl.engine.ws.Protocol;
import org.apache.pekko.http.impl.engine.ws.UpgradeToWebSocketLowLevel;
import org.apache.pekko.http.impl.engine.ws.WebSocket$;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;
import org.apache.pekko.http.scaladsl.settings.WebSocketSettings;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BidiShape;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Graph;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import scala.Option;
import scala.concurrent.duration.FiniteDuration;

/**
 * The only class that touches Pekko HTTP internals. Pekko HTTP 1.3.0 neither answers
 * {@code Sec-WebSocket-Extensions} nor lets a handler see pongs or pick a close code, so every
 * feed connection is upgraded through the internal {@code UpgradeToWebSocketLowLevel.handleFrames}
 * with Pekko's own stack rebuilt around our frame layers:
 *
 * <pre>
 *   network - masking - [our layers: Watchdog, permessage-deflate] - frameHandling
 *           - close injector - periodicKeepAlive - messageAPI - application
 * </pre>
 *
 * Pekko keeps answering pings, the close handshake, UTF-8 checks and keep-alive. Scala types stay
 * in here; the rest of the feed sees {@link WsFrame}, {@link Closer} and javadsl messages. The
 * pom pins pekko-http exactly and {@code WebSocketShimTest} fails when these internals change;
 * delete this class when Pekko HTTP 2.0 (permessage-deflate built in) is adopted.
 */
final class WebSocketShim {

  /** The pekko-http version these internals were written against. */
  static final String PEKKO_HTTP_VERSION = "1.3.0";

  private final WebSocketSettings settings;
  private final FiniteDuration closeTimeout;
  private final long maxFrameBytes;
  private final LoggingAdapter log;

  /** {@code maxFrameBytes}: the most a data frame may declare (no message the feed reads is longer). */
  WebSocketShim(ActorSystem<?> system, java.time.Duration closeTimeout, long maxFrameBytes) {
    String running = system.settings().config().getString("pekko.http.version");
    if (!PEKKO_HTTP_VERSION.equals(running)) {
      throw new IllegalStateException("the WebSocket shim was written for pekko-http " + PEKKO_HTTP_VERSION + " but " + running + " is running");
    }
    this.settings = ServerSettings.apply(system.settings().config()).websocketSettings();
    this.closeTimeout = FiniteDuration.create(closeTimeout.toMillis(), TimeUnit.MILLISECONDS);
    this.maxFrameBytes = maxFrameBytes;
    this.log = Logging.getLogger(system.classicSystem(), WebSocketShim.class);
  }

  /**
   * Answers a WebSocket upgrade request, or empty when the request is not one. {@code extensions},
   * when present, is the agreed {@code Sec-WebSocket-Extensions} response value.
   */
  Optional<HttpResponse> upgrade(HttpRequest request, BidiFlow<WsFrame, WsFrame, WsFrame, WsFrame, NotUsed> frameLayers,
      Flow<Message, Message, NotUsed> application, Closer closer, Optional<String> extensions) {
    if (!(request.getAttribute(AttributeKeys.webSocketUpgrade).orElse(null) instanceof UpgradeToWebSocketLowLevel upgrade)) {
      return Optional.empty();
    }
    Flow<org.apache.pekko.http.scaladsl.model.ws.Message, org.apache.pekko.http.scaladsl.model.ws.Message, NotUsed> scalaApp =
        Flow.<org.apache.pekko.http.scaladsl.model.ws.Message>create().map(Message::adapt).via(application).map(Message::asScala);
    WebSocket$ ws = WebSocket$.MODULE$;
    org.apache.pekko.stream.scaladsl.Flow<FrameEvent, FrameEvent, NotUsed> frames = ws.masking(true, settings.randomFactory())
        .atop(BidiFlow.<FrameEventOrError, WsFrame, WsFrame, FrameEvent>fromFunctions(WebSocketShim::toJava, WebSocketShim::toPekko))
        .atop(BidiFlow.fromFlows(frameLimit(maxFrameBytes, closer), Flow.<WsFrame>create()).asScala())
        .atop(frameLayers.asScala())
        .atop(BidiFlow.<WsFrame, FrameEventOrError, FrameStart, WsFrame>fromFunctions(WebSocketShim::toPekkoInbound, WebSocketShim::toJava))
        .atop(ws.frameHandling(true, closeTimeout, log))
        .atop(new CloseInjector(closer))
        .atop(ws.periodicKeepAlive(settings))
        .atop(ws.messageAPI(true, closeTimeout))
        .join(scalaApp);
    @SuppressWarnings({"unchecked", "rawtypes"}) // Scala's Graph[FlowShape[..], Any] seen from Java
    Graph<FlowShape<FrameEvent, FrameEvent>, Object> handler = (Graph) frames;
    HttpResponse response = upgrade.handleFrames(handler, Option.empty());
    return Optional.of(extensions.map(e -> response.addHeader(RawHeader.create("Sec-WebSocket-Extensions", e))).orElse(response));
  }

  /**
   * A data frame whose head declares more than {@code maxFrameBytes} closes the connection with
   * 1009 and a reason at once, and what arrives of it is dropped: waiting for 2^63-1 bytes would
   * hold the connection until the idle timeout, and the message limits downstream only count
   * bytes that came. Control frames are at most 125 bytes (Pekko's parser holds them to it).
   */
  static Flow<WsFrame, WsFrame, NotUsed> frameLimit(long maxFrameBytes, Closer closer) {
    return Flow.of(WsFrame.class).statefulMap(() -> Boolean.FALSE, (dropping, frame) -> {
      if (frame instanceof WsFrame.Head h && !h.isControl() && h.length() > maxFrameBytes) {
        closer.close(CloseReason.MESSAGE_TOO_BIG, "frame declares " + h.length() + " bytes; at most " + maxFrameBytes + " are read");
        return Pair.create(!h.whole(), Optional.<WsFrame>empty());
      }
      if (dropping && frame instanceof WsFrame.Part p) return Pair.create(!p.last(), Optional.<WsFrame>empty());
      return Pair.create(Boolean.FALSE, Optional.of(frame));
    }, dropping -> Optional.empty()).filter(Optional::isPresent).map(Optional::get);
  }

  static WsFrame toJava(FrameEventOrError event) {
    if (event instanceof FrameStart s) {
      FrameHeader h = s.header();
      return new WsFrame.Head(h.opcode().code(), h.fin(), h.rsv1(), h.rsv2(), h.rsv3(), h.length(), s.data());
    }
    if (event instanceof FrameData d) return new WsFrame.Part(d.data(), d.lastPart());
    return new WsFrame.Opaque(event);
  }

  static FrameEvent toPekko(WsFrame frame) {
    if (frame instanceof WsFrame.Head h) {
      return new FrameStart(new FrameHeader(Protocol.Opcode$.MODULE$.forCode((byte) h.opcode()), Option.empty(), h.length(), h.fin(),
          h.rsv1(), h.rsv2(), h.rsv3()), h.data());
    }
    if (frame instanceof WsFrame.Part p) return new FrameData(p.data(), p.last());
    return (FrameEvent) ((WsFrame.Opaque) frame).event();
  }

  private static FrameEventOrError toPekkoInbound(WsFrame frame) {
    return frame instanceof WsFrame.Opaque o ? (FrameEventOrError) o.event() : toPekko(frame);
  }

  /**
   * Hands a {@link Closer} request to Pekko's outbound frame handler as if its own frame handler
   * had asked to close: Pekko sends the close frame with our code, waits for the peer's close
   * frame (up to the close timeout) and ends the connection.
   */
  private static final class CloseInjector extends GraphStage<BidiShape<FrameHandler.Output, FrameHandler.Output, Object, Object>> {
    private final Inlet<FrameHandler.Output> fromNet = Inlet.create("CloseInjector.fromNet");
    private final Outlet<FrameHandler.Output> toApp = Outlet.create("CloseInjector.toApp");
    private final Inlet<Object> fromApp = Inlet.create("CloseInjector.fromApp");
    private final Outlet<Object> toNet = Outlet.create("CloseInjector.toNet");
    private final BidiShape<FrameHandler.Output, FrameHandler.Output, Object, Object> shape = BidiShape.of(fromNet, toApp, fromApp, toNet);
    private final Closer closer;

    CloseInjector(Closer closer) {
      this.closer = closer;
    }

    @Override
    public BidiShape<FrameHandler.Output, FrameHandler.Output, Object, Object> shape() {
      return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
      return new GraphStageLogic(shape) {
        private boolean injected;
        private Object pendingClose;
        private Object held;

        {
          setHandler(fromNet, new AbstractInHandler() {
            @Override
            public void onPush() {
              push(toApp, grab(fromNet));
            }

            @Override
            public void onUpstreamFinish() {
              complete(toApp);
            }
          });
          setHandler(toApp, new AbstractOutHandler() {
            @Override
            public void onPull() {
              pull(fromNet);
            }

            @Override
            public void onDownstreamFinish(Throwable cause) {
              cancel(fromNet, cause);
            }
          });
          setHandler(fromApp, new AbstractInHandler() {
            @Override
            public void onPush() {
              Object x = grab(fromApp);
              if (isAvailable(toNet)) push(toNet, x);
              else held = x;
            }

            @Override
            public void onUpstreamFinish() {
              if (pendingClose != null) emit(toNet, pendingClose);
              if (held != null) emit(toNet, held);
              complete(toNet);
            }
          });
          setHandler(toNet, new AbstractOutHandler() {
            @Override
            public void onPull() {
              if (pendingClose != null) {
                push(toNet, pendingClose);
                pendingClose = null;
              } else if (held != null) {
                push(toNet, held);
                held = null;
              } else if (!hasBeenPulled(fromApp) && !isClosed(fromApp)) {
                pull(fromApp);
              }
            }

            @Override
            public void onDownstreamFinish(Throwable cause) {
              cancel(fromApp, cause);
            }
          });
        }

        @Override
        public void preStart() {
          AsyncCallback<Closer.Request> callback = createAsyncCallback(this::inject);
          closer.attach(callback::invoke);
        }

        private void inject(Closer.Request request) {
          if (injected || isClosed(toNet)) return;
          injected = true;
          Object close = new FrameHandler.ActivelyCloseWithCode(Option.apply((Object) request.reason().code), reason(request.detail()));
          if (isAvailable(toNet)) push(toNet, close);
          else pendingClose = close;
        }
      };
    }

    /** A close frame's reason may hold at most 123 bytes of UTF-8. */
    private static String reason(String detail) {
      String r = detail == null ? "" : detail;
      while (r.getBytes(StandardCharsets.UTF_8).length > 123) r = r.substring(0, r.length() - 1);
      return r;
    }
  }
}
