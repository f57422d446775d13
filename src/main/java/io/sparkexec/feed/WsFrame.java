package io.sparkexec.feed;

import org.apache.pekko.util.ByteString;

/**
 * A WebSocket frame event as the feed's own frame layers (compression, watchdog) see it: the
 * Java-typed twin of Pekko's internal frame events, converted in {@link WebSocketShim} only.
 * A frame arrives as a {@link Head} carrying its first bytes, then {@link Part}s until the
 * declared length is reached; frames the server renders are always whole heads.
 */
public sealed interface WsFrame {

  int CONTINUATION = 0x0;
  int TEXT = 0x1;
  int BINARY = 0x2;
  int CLOSE = 0x8;
  int PING = 0x9;
  int PONG = 0xA;

  static boolean isControl(int opcode) {
    return (opcode & 0x8) != 0;
  }

  record Head(int opcode, boolean fin, boolean rsv1, boolean rsv2, boolean rsv3, long length, ByteString data) implements WsFrame {
    public boolean whole() {
      return data.size() == length;
    }

    public boolean isControl() {
      return WsFrame.isControl(opcode);
    }

    /** A complete frame without reserved bits. */
    public static Head of(int opcode, boolean fin, ByteString data) {
      return new Head(opcode, fin, false, false, false, data.size(), data);
    }

    public Head withPayload(boolean rsv1, ByteString payload) {
      return new Head(opcode, fin, rsv1, rsv2, rsv3, payload.size(), payload);
    }
  }

  record Part(ByteString data, boolean last) implements WsFrame {}

  /** Something Pekko's parser or unmasking reported (a protocol error): passed on untouched. */
  record Opaque(Object event) implements WsFrame {}
}
