package io.sparkexec.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import java.lang.reflect.Method;
import org.apache.pekko.http.impl.engine.ws.FrameData;
import org.apache.pekko.http.impl.engine.ws.FrameEvent;
import org.apache.pekko.http.impl.engine.ws.FrameStart;
import org.apache.pekko.http.impl.engine.ws.UpgradeToWebSocketLowLevel;
import org.apache.pekko.http.impl.engine.ws.WebSocket$;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/**
 * Fails when the Pekko HTTP internals the shim relies on change: the pinned version, the
 * signatures it calls (a binary change would otherwise surface only as NoSuchMethodError at the
 * first connection), and the frame model's meaning. FeedEndpointIT and the interop tests cover
 * the behaviour end to end.
 */
class WebSocketShimTest {

  @Test
  void pekkoHttpIsTheVersionTheShimWasWrittenFor() {
    assertEquals(WebSocketShim.PEKKO_HTTP_VERSION, ConfigFactory.load().getString("pekko.http.version"));
  }

  @Test
  void theInternalEntryPointsStillExist() throws Exception {
    Method handleFrames = UpgradeToWebSocketLowLevel.class.getMethod("handleFrames", org.apache.pekko.stream.Graph.class, scala.Option.class);
    assertEquals(org.apache.pekko.http.scaladsl.model.HttpResponse.class, handleFrames.getReturnType());
    Class<?> ws = WebSocket$.class;
    ws.getMethod("masking", boolean.class, scala.Function0.class);
    ws.getMethod("frameHandling", boolean.class, scala.concurrent.duration.FiniteDuration.class, org.apache.pekko.event.LoggingAdapter.class);
    ws.getMethod("periodicKeepAlive", org.apache.pekko.http.scaladsl.settings.WebSocketSettings.class);
    ws.getMethod("messageAPI", boolean.class, scala.concurrent.duration.FiniteDuration.class);
    Class.forName("org.apache.pekko.http.impl.engine.ws.FrameHandler$ActivelyCloseWithCode").getConstructor(scala.Option.class, String.class);
  }

  @Test
  void framesConvertBothWaysWithEveryHeaderBit() {
    WsFrame.Head head = new WsFrame.Head(WsFrame.TEXT, false, true, false, false, 10, ByteString.fromString("abc"));
    FrameEvent pekko = WebSocketShim.toPekko(head);
    FrameStart start = assertInstanceOf(FrameStart.class, pekko);
    assertEquals(1, start.header().opcode().code());
    assertEquals(10L, start.header().length());
    assertEquals(false, start.lastPart(), "3 of 10 bytes: more parts follow");
    assertEquals(head, WebSocketShim.toJava(pekko));

    WsFrame.Part part = new WsFrame.Part(ByteString.fromString("defghij"), true);
    FrameData data = assertInstanceOf(FrameData.class, WebSocketShim.toPekko(part));
    assertEquals(part, WebSocketShim.toJava(data));

    for (int opcode : new int[] {WsFrame.CONTINUATION, WsFrame.BINARY, WsFrame.CLOSE, WsFrame.PING, WsFrame.PONG}) {
      WsFrame.Head h = WsFrame.Head.of(opcode, true, ByteString.emptyByteString());
      assertEquals(h, WebSocketShim.toJava(WebSocketShim.toPekko(h)));
    }
  }
}
