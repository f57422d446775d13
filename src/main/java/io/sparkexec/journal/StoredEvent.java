package io.sparkexec.journal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One journaled event as stored: the payload serialized by Pekko serialization (serializer id,
 * serializer manifest, bytes) plus what Pekko keeps beside it. Persistence id and sequence nr
 * live in the key, the rest in the value (layout in docs/journal.md).
 *
 * @param eventManifest the event adapter manifest of the PersistentRepr (usually empty)
 */
public record StoredEvent(String persistenceId, long sequenceNr, int serializerId, String serializerManifest, String eventManifest,
    String writerUuid, long timestamp, byte[] payload) {

  /** Value format version; a reader meeting a newer one fails loudly rather than guess. */
  static final byte VALUE_VERSION = 1;

  byte[] encodeValue() {
    byte[] ser = serializerManifest.getBytes(StandardCharsets.UTF_8);
    byte[] ev = eventManifest.getBytes(StandardCharsets.UTF_8);
    byte[] writer = writerUuid.getBytes(StandardCharsets.UTF_8);
    ByteBuffer bb = ByteBuffer.allocate(1 + 4 + 4 + ser.length + 4 + ev.length + 4 + writer.length + 8 + payload.length);
    bb.put(VALUE_VERSION).putInt(serializerId);
    bb.putInt(ser.length).put(ser);
    bb.putInt(ev.length).put(ev);
    bb.putInt(writer.length).put(writer);
    bb.putLong(timestamp).put(payload);
    return bb.array();
  }

  static StoredEvent decode(String persistenceId, long sequenceNr, byte[] value) {
    ByteBuffer bb = ByteBuffer.wrap(value);
    byte version = bb.get();
    if (version != VALUE_VERSION) {
      throw new IllegalStateException("unknown event value version " + version + " at " + persistenceId + "/" + sequenceNr);
    }
    int serializerId = bb.getInt();
    String ser = string(bb);
    String ev = string(bb);
    String writer = string(bb);
    long timestamp = bb.getLong();
    byte[] payload = new byte[bb.remaining()];
    bb.get(payload);
    return new StoredEvent(persistenceId, sequenceNr, serializerId, ser, ev, writer, timestamp, payload);
  }

  private static String string(ByteBuffer bb) {
    int length = bb.getInt();
    String s = new String(bb.array(), bb.position(), length, StandardCharsets.UTF_8);
    bb.position(bb.position() + length);
    return s;
  }
}
