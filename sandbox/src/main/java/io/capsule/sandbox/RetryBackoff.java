package io.capsule.sandbox;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with jitter: the n-th retry waits between half and all of {@code first ×
 * 2^(n-1)}, capped at {@code max}. Jitter keeps a fleet's retries of one failure from arriving
 * together.
 */
final class RetryBackoff {
  private final Duration first;
  private final Duration max;

  RetryBackoff(Duration first, Duration max) {
    this.first = first;
    this.max = max;
  }

  /** The delay before retry {@code retry} (1-based). */
  Duration delayBefore(int retry) {
    long base = first.toMillis() << Math.min(retry - 1, 30);
    long capped = Math.min(Math.max(base, 0), max.toMillis());
    long jittered = capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1);
    return Duration.ofMillis(jittered);
  }
}
