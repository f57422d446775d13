package io.sparkexec;

/**
 * Marker for every message, event and snapshot that crosses a serialization boundary
 * (journal, snapshot store, remoting). Bound to Jackson CBOR in conf/pekko.conf.
 */
public interface CborSerializable {}
