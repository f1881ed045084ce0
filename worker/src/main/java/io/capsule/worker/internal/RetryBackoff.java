package io.capsule.worker.internal;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with "equal jitter": after attempt {@code n} the nominal delay is {@code
 * first * 2^(n-1)} capped at {@code max}; the delay is half of it plus a random part of the other
 * half, so retries of many tasks that failed together spread out.
 */
public final class RetryBackoff {
  private final Duration first;
  private final Duration max;

  /** Backoff from {@code first}, doubling, never above {@code max}. */
  public RetryBackoff(Duration first, Duration max) {
    this.first = first;
    this.max = max;
  }

  /** The delay before the attempt that follows failed attempt {@code attempt} (1-based). */
  public Duration delayAfter(int attempt) {
    long nominal = first.toMillis() << Math.min(Math.max(attempt - 1, 0), 30);
    nominal = Math.min(Math.max(nominal, 0), max.toMillis());
    long half = nominal / 2;
    return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(nominal - half + 1));
  }
}
