package io.sparkexec.journal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The on-disk key layout (docs/journal.md). Every key starts with a one-byte space; numbers are
 * big-endian so LevelDB's bytewise order is numeric order. Persistence ids and tags are mapped to
 * numeric ids stored in the journal itself and looked up on demand, so nothing is loaded at start.
 */
final class Keys {

  /** Bumped on any incompatible change to keys or values; a journal with another version is refused. */
  static final int FORMAT_VERSION = 1;

  static final byte FORMAT = 0x00;
  static final byte PID_TO_NID = 0x01;
  static final byte NID_TO_PID = 0x02;
  static final byte PID_COUNTER = 0x03;
  static final byte HIGHEST_SEQ = 0x04;
  static final byte EVENT = 0x05;
  static final byte TAG_TO_TID = 0x06;
  static final byte TAG_COUNTER = 0x07;
  static final byte TAG_HIGHEST = 0x08;
  static final byte TAG_ENTRY = 0x09;

  private Keys() {}

  static byte[] format() {
    return new byte[] {FORMAT};
  }

  static byte[] pidToNid(String persistenceId) {
    return prefixed(PID_TO_NID, persistenceId);
  }

  static byte[] nidToPid(long nid) {
    return ByteBuffer.allocate(9).put(NID_TO_PID).putLong(nid).array();
  }

  static byte[] pidCounter() {
    return new byte[] {PID_COUNTER};
  }

  static byte[] highestSeq(long nid) {
    return ByteBuffer.allocate(9).put(HIGHEST_SEQ).putLong(nid).array();
  }

  static byte[] event(long nid, long sequenceNr) {
    return ByteBuffer.allocate(17).put(EVENT).putLong(nid).putLong(sequenceNr).array();
  }

  static byte[] tagToTid(String tag) {
    return prefixed(TAG_TO_TID, tag);
  }

  static byte[] tagCounter() {
    return new byte[] {TAG_COUNTER};
  }

  static byte[] tagHighest(long tid) {
    return ByteBuffer.allocate(9).put(TAG_HIGHEST).putLong(tid).array();
  }

  static byte[] tagEntry(long tid, long offset) {
    return ByteBuffer.allocate(17).put(TAG_ENTRY).putLong(tid).putLong(offset).array();
  }

  /** A tag entry's value points at the event: (persistence id's numeric id, sequence nr). */
  static byte[] pointer(long nid, long sequenceNr) {
    return ByteBuffer.allocate(16).putLong(nid).putLong(sequenceNr).array();
  }

  static boolean isEventOf(byte[] key, long nid) {
    return key.length == 17 && key[0] == EVENT && ByteBuffer.wrap(key, 1, 8).getLong() == nid;
  }

  static boolean isTagEntryOf(byte[] key, long tid) {
    return key.length == 17 && key[0] == TAG_ENTRY && ByteBuffer.wrap(key, 1, 8).getLong() == tid;
  }

  static boolean isNidToPid(byte[] key) {
    return key.length == 9 && key[0] == NID_TO_PID;
  }

  /** The numeric id at bytes 1..8 of a numbered key. */
  static long idOf(byte[] key) {
    return ByteBuffer.wrap(key, 1, 8).getLong();
  }

  /** The sequence nr or tag offset at bytes 9..16 of an event or tag entry key. */
  static long numberOf(byte[] key) {
    return ByteBuffer.wrap(key, 9, 8).getLong();
  }

  static byte[] longValue(long value) {
    return ByteBuffer.allocate(8).putLong(value).array();
  }

  static long longOf(byte[] value) {
    return value == null ? 0L : ByteBuffer.wrap(value).getLong();
  }

  private static byte[] prefixed(byte space, String text) {
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    byte[] key = new byte[utf8.length + 1];
    key[0] = space;
    System.arraycopy(utf8, 0, key, 1, utf8.length);
    return key;
  }
}
