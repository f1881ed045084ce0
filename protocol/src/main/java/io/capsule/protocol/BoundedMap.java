package io.capsule.protocol;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Thread-safe maps that hold at most a fixed number of entries, dropping one when a put goes past
 * it: the caches and "recently seen" sets of the worker, the dispatcher and the sandbox.
 */
public final class BoundedMap {
  private BoundedMap() {}

  /**
   * A map that drops its least recently used entry (a read counts as a use).
   *
   * @param maxEntries how many entries it keeps
   */
  public static <K, V> Map<K, V> leastRecentlyUsed(int maxEntries) {
    return bounded(maxEntries, true);
  }

  /**
   * A map that drops its oldest entry (reads do not count).
   *
   * @param maxEntries how many entries it keeps
   */
  public static <K, V> Map<K, V> oldestFirst(int maxEntries) {
    return bounded(maxEntries, false);
  }

  private static <K, V> Map<K, V> bounded(int maxEntries, boolean accessOrder) {
    if (maxEntries < 1) {
      throw new IllegalArgumentException("a bounded map holds at least 1 entry, not " + maxEntries);
    }
    return Collections.synchronizedMap(
        new LinkedHashMap<>(16, 0.75f, accessOrder) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
            return size() > maxEntries;
          }
        });
  }
}
