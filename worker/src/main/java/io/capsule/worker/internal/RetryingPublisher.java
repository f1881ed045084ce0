package io.capsule.worker.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a task's outputs until the broker acknowledges all of them: a failed round is sent again
 * after {@link #REPUBLISH_DELAY}, until {@link #close()} (the worker is stopping; the record is
 * then left uncommitted and runs again elsewhere).
 */
public final class RetryingPublisher {
  private static final Logger LOG = LoggerFactory.getLogger(RetryingPublisher.class);

  /** The pause before a failed round of sends is tried again. */
  static final Duration REPUBLISH_DELAY = Duration.ofSeconds(1);

  private volatile boolean closed;

  /**
   * Runs {@code sends} (one round of a task's outputs) until a round is acknowledged.
   *
   * @return completes when a round was acknowledged; fails with the last error once closed
   */
  public CompletableFuture<Void> publish(String taskId, Supplier<CompletableFuture<Void>> sends) {
    return sends
        .get()
        .handle(
            (ok, error) -> {
              if (error == null) {
                return CompletableFuture.<Void>completedFuture(null);
              }
              if (closed) {
                return CompletableFuture.<Void>failedFuture(error);
              }
              LOG.warn("publishing task {} failed; trying again", taskId, error);
              Executor later =
                  CompletableFuture.delayedExecutor(
                      REPUBLISH_DELAY.toMillis(), TimeUnit.MILLISECONDS);
              return CompletableFuture.supplyAsync(() -> null, later)
                  .thenCompose(x -> publish(taskId, sends));
            })
        .thenCompose(f -> f);
  }

  /** After this, failed rounds are no longer tried again. */
  public void close() {
    closed = true;
  }
}
