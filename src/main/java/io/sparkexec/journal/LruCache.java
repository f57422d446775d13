package io.sparkexec.journal;

import java.util.LinkedHashMap;
import java.util.Map;

/** A bounded least-recently-used map: id mappings stay cached without growing with the journal. */
final class LruCache<K, V> extends LinkedHashMap<K, V> {

  private final int capacity;

  LruCache(int capacity) {
    super(16, 0.75f, true);
    this.capacity = capacity;
  }

  @Override
  protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
    return size() > capacity;
  }
}
