package io.capsule.sandbox;

import io.capsule.protocol.ResultEnvelope;
import java.time.Duration;

/** Hears about each attempt of a task, for live progress lines. */
@FunctionalInterface
public interface AttemptListener {
  /** Ignores everything. */
  AttemptListener NONE = (attempt, envelope, retryIn) -> {};

  /**
   * An attempt finished.
   *
   * @param attempt its 1-based number
   * @param envelope its outcome
   * @param retryIn the delay before the next attempt, or {@code null} when this one is final
   */
  void attemptFinished(int attempt, ResultEnvelope envelope, Duration retryIn);
}
