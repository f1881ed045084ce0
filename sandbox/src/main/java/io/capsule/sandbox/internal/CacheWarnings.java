package io.capsule.sandbox.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Warnings about cache entries or artifacts that were not trusted, on stderr, each kind once per
 * process: the work is simply done again, and a repeated line per task would be noise.
 */
public final class CacheWarnings {
  private static final Set<String> SHOWN = ConcurrentHashMap.newKeySet();

  private CacheWarnings() {}

  /** Prints {@code message} unless a warning of {@code kind} was printed already. */
  public static void once(String kind, String message) {
    if (SHOWN.add(kind)) {
      System.err.println("capsule: warning: " + message);
    }
  }
}
