package io.capsule.protocol;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The delay between a task's attempts ({@code max_retries}), the same locally ({@code Sandbox.run})
 * and in the fleet: exponential backoff with "equal jitter". Before retry {@code n} the nominal
 * delay is {@code first × 2^(n-1)} capped at {@code max}; the delay is half of it plus a random
 * part of the other half, so retries of many tasks that failed together spread out.
 */
public final class RetryBackoff {
  private final Duration first;
  private final Duration max;

  /**
   * Backoff from {@code first}, doubling, never above {@code max}.
   *
   * @throws IllegalArgumentException if either is negative or {@code max} is shorter than {@code
   *     first}
   */
  public RetryBackoff(Duration first, Duration max) {
    Objects.requireNonNull(first, "first");
    Objects.requireNonNull(max, "max");
    if (first.isNegative() || max.compareTo(first) < 0) {
      throw new IllegalArgumentException(
          "retry backoff needs 0 <= first <= max, got first " + first + ", max " + max);
    }
    this.first = first;
    this.max = max;
  }

  /**
   * The delay before retry {@code retry} (1-based: the one after failed attempt {@code retry}); a
   * value below 1 counts as 1.
   */
  public Duration delayBefore(int retry) {
    long nominal = first.toMillis() << Math.min(Math.max(retry - 1, 0), 30);
    nominal = Math.min(Math.max(nominal, 0), max.toMillis());
    long half = nominal / 2;
    return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(nominal - half + 1));
  }
}
