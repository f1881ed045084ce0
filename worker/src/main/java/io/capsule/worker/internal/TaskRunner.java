package io.capsule.worker.internal;

import java.util.concurrent.CompletableFuture;

/** Runs a task item's attempt and publishes its outcome ({@link TaskExecution}). */
@FunctionalInterface
public interface TaskRunner {
  /**
   * Runs the item's attempt on this thread, runs {@code release} once the attempt is over (its
   * admission is free then, before the outcome is published), and publishes the outcome.
   *
   * @return completes when the broker acknowledged every output (the record may be committed)
   */
  CompletableFuture<Void> run(TaskItem item, Runnable release);
}
