package io.capsule.sandbox;

import io.capsule.protocol.ResultEnvelope;
import java.time.Duration;

/**
 * Hears about each attempt of a task, for live progress lines, and (optionally) about each line the
 * task writes to its logs as it writes it.
 */
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

  /**
   * A line the task wrote to its logs, as it wrote it: its stderr (a Python task's {@code print()}
   * and traceback, a JavaScript task's {@code console.log}, a module's {@code capsule.log}), and
   * those of the sub-tasks it runs in this sandbox. A task module's stdout is its result and is not
   * given here. Called on the task's thread, in order; a line over 8 KiB comes in pieces. Ignored
   * by default.
   */
  default void taskOutput(String line) {}
}
