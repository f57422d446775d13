package io.sparkexec.journal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The last {@code capacity} tagged events as the write side had them, before serialization, so a
 * live tag query right behind the writer (risk ledger, feed, shadow twins: every order event is
 * read by each of them) takes the object instead of decoding the stored bytes again. Only tagged
 * events are kept: they are immutable records (order events), safe to hand to several readers.
 * Written by the journal actor, read by query threads; a miss just decodes as before.
 */
final class RecentEvents {

  private record Key(String persistenceId, long sequenceNr) {}

  private final int capacity;
  private final ConcurrentHashMap<Key, Object> events = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Key> order = new ConcurrentLinkedQueue<>();
  private final AtomicInteger size = new AtomicInteger();

  RecentEvents(int capacity) {
    this.capacity = capacity;
  }

  void put(String persistenceId, long sequenceNr, Object event) {
    if (capacity <= 0) return;
    Key key = new Key(persistenceId, sequenceNr);
    if (events.put(key, event) == null) {
      order.add(key);
      if (size.incrementAndGet() > capacity) {
        Key oldest = order.poll();
        if (oldest != null && events.remove(oldest) != null) size.decrementAndGet();
      }
    }
  }

  /** The event as written, or null (evicted, written by an earlier process, or untagged). */
  Object get(String persistenceId, long sequenceNr) {
    return capacity <= 0 ? null : events.get(new Key(persistenceId, sequenceNr));
  }
}
