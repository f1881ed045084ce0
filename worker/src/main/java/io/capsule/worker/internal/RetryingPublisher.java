package io.capsule.worker.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a task's outputs until the broker acknowledges all of them: a failed round is sent again
 * after {@link #REPUBLISH_DELAY}, until {@link #close()} (the worker is stopping; the record is
 * then left uncommitted and runs again elsewhere) — except a round that failed because a record can
 * never fit ({@link #neverFits}): sending it again would fail the same way forever, its task would
 * never settle and its partition's commits would stop, so it is logged, counted and settled; and a
 * round fenced because the record is no longer this worker's ({@link OutputsFencedException#lost}),
 * which fails for good.
 */
public final class RetryingPublisher {
  private static final Logger LOG = LoggerFactory.getLogger(RetryingPublisher.class);

  /** The pause before a failed round of sends is tried again. */
  static final Duration REPUBLISH_DELAY = Duration.ofSeconds(1);

  // Rounds sent again may wait, bounded, at the OutputFence: never on the common pool's threads.
  private static final Executor AGAIN =
      Executors.newCachedThreadPool(
          r -> {
            Thread thread = new Thread(r, "capsule-republish");
            thread.setDaemon(true);
            return thread;
          });

  private final WorkerMetrics metrics;
  private volatile boolean closed;

  /** A publisher that counts the outputs it gives up on in {@code metrics}. */
  public RetryingPublisher(WorkerMetrics metrics) {
    this.metrics = metrics;
  }

  /**
   * Runs {@code sends} (one round of a task's outputs) until a round is acknowledged, or until one
   * fails because a record can never fit.
   *
   * @return completes when a round was acknowledged or given up; fails with the last error once
   *     closed
   */
  public CompletableFuture<Void> publish(String taskId, Supplier<CompletableFuture<Void>> sends) {
    return sends
        .get()
        .handle(
            (ok, error) -> {
              if (error == null) {
                return CompletableFuture.<Void>completedFuture(null);
              }
              if (neverFits(error)) {
                giveUp(taskId, error);
                return CompletableFuture.<Void>completedFuture(null);
              }
              if (closed || OutputsFencedException.isLost(error)) {
                return CompletableFuture.<Void>failedFuture(error);
              }
              if (cause(error) instanceof OutputsFencedException unconfirmed) {
                LOG.warn("task {}: {}", taskId, unconfirmed.getMessage());
              } else {
                LOG.warn("publishing task {} failed; trying again", taskId, error);
              }
              Executor later =
                  CompletableFuture.delayedExecutor(
                      REPUBLISH_DELAY.toMillis(), TimeUnit.MILLISECONDS, AGAIN);
              return CompletableFuture.supplyAsync(() -> null, later)
                  .thenCompose(x -> publish(taskId, sends));
            })
        .thenCompose(f -> f);
  }

  /**
   * {@link #publish} of {@code sends} once {@code first} completed normally, on a thread of this
   * publisher (never on the thread that completes {@code first}: that is the producer's I/O thread,
   * which must not wait at the fence or for a topic's metadata); nothing when {@code first} failed.
   *
   * @return completes when both were acknowledged; fails with {@code first}'s error
   */
  public CompletableFuture<Void> publishAfter(
      CompletableFuture<Void> first, String taskId, Supplier<CompletableFuture<Void>> sends) {
    return first.thenComposeAsync(ok -> publish(taskId, sends), AGAIN);
  }

  private void giveUp(String taskId, Throwable error) {
    Throwable cause = cause(error);
    LOG.error(
        "task {}: an output is too large for a Kafka record and is dropped, not sent again (its"
            + " record settles): {}",
        taskId,
        cause.toString());
    metrics.outputDropped(cause.getClass().getSimpleName());
  }

  /**
   * Whether a send failed because its record can never be accepted as it is: it is larger than the
   * producer's {@code max.request.size} or its topic's {@code max.message.bytes}. Sending it again
   * fails the same way; other errors (a broker away, missing rights) can pass once fixed.
   */
  public static boolean neverFits(Throwable error) {
    Throwable cause = cause(error);
    return cause instanceof RecordTooLargeException
        || cause instanceof RecordBatchTooLargeException;
  }

  /** The error under a future's wrapping. */
  static Throwable cause(Throwable error) {
    Throwable cause = error;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  /** After this, failed rounds are no longer tried again. */
  public void close() {
    closed = true;
  }
}
