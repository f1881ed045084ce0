package io.capsule.sandbox.internal.wasi;

import java.util.ArrayList;
import java.util.List;

/**
 * The denials of one run, kept up to {@link #MAX_KEPT} so a guest that retries a refused call in a
 * loop cannot fill the heap; the rest are only counted. Read from another thread after (or during)
 * the run, hence synchronized.
 */
final class DenialLog {
  static final int MAX_KEPT = 1000;

  private final List<Denial> kept = new ArrayList<>();
  private long count;

  synchronized void add(Denial denial) {
    count++;
    if (kept.size() < MAX_KEPT) {
      kept.add(denial);
    }
  }

  synchronized List<Denial> kept() {
    return List.copyOf(kept);
  }

  synchronized long count() {
    return count;
  }
}
