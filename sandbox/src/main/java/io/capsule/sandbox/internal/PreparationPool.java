package io.capsule.sandbox.internal;

import io.capsule.protocol.InternalException;
import io.capsule.protocol.InvalidModuleException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Where untrusted modules are prepared: at most {@link #permits()} preparations run at once, each
 * on a thread of its own. Chicory's parser and compiler cannot be interrupted, so a preparation
 * whose budget ran out (its caller already has {@code invalid_module}) runs on to its next stage
 * boundary, and keeps its permit (and its thread) until it really ends: abandoned work can never
 * take more than {@link #permits()} threads, and the host stays responsive. A new preparation waits
 * for a permit within its own budget.
 */
public final class PreparationPool implements AutoCloseable {
  private static final long THREAD_STACK_BYTES = 8L << 20;

  private final int permits;
  private final Semaphore free;
  private final ThreadPoolExecutor threads;
  private final AtomicInteger running = new AtomicInteger();

  private PreparationPool(int permits) {
    if (permits < 1) {
      throw new IllegalArgumentException("a preparation pool needs at least one permit");
    }
    this.permits = permits;
    this.free = new Semaphore(permits, true);
    this.threads =
        new ThreadPoolExecutor(
            permits, permits, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threadFactory());
    threads.allowCoreThreadTimeOut(true);
  }

  /** A pool running at most {@code permits} preparations at once. */
  public static PreparationPool of(int permits) {
    return new PreparationPool(permits);
  }

  /**
   * Runs {@code preparation} once a permit is free, waiting for the permit and the work together up
   * to the budget's deadline.
   *
   * @throws InvalidModuleException ({@link PreparationBudget#exceeded()}) when the budget ran out
   *     waiting for a permit or preparing; what the preparation itself throws otherwise
   */
  public <T> T run(PreparationBudget budget, Function<PreparationBudget, T> preparation) {
    budget.enter("waiting for one of " + permits + " preparation slots");
    acquire(budget);
    // whoever claims first owns the permit: the work when it starts, the caller if it gives up
    // before then (a cancelled task that never started would otherwise never give it back)
    var claimed = new AtomicBoolean();
    Future<T> work;
    try {
      work = threads.submit(() -> holdingPermit(claimed, budget, preparation));
    } catch (RuntimeException e) {
      free.release();
      throw e;
    }
    try {
      return await(work, budget);
    } finally {
      if (claimed.compareAndSet(false, true)) {
        free.release();
      }
    }
  }

  private void acquire(PreparationBudget budget) {
    try {
      if (!free.tryAcquire(budget.remaining().toNanos(), TimeUnit.NANOSECONDS)) {
        throw budget.exceeded();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InternalException("interrupted while waiting to prepare a module", e);
    }
  }

  /** The work on its thread: the permit goes back only when the work has really ended. */
  private <T> T holdingPermit(
      AtomicBoolean claimed, PreparationBudget budget, Function<PreparationBudget, T> work) {
    if (!claimed.compareAndSet(false, true)) {
      return null; // the caller gave up before it started, and gave the permit back
    }
    running.incrementAndGet();
    try {
      budget.enter("start");
      return work.apply(budget);
    } finally {
      running.decrementAndGet();
      free.release();
    }
  }

  private static <T> T await(Future<T> work, PreparationBudget budget) {
    try {
      return work.get(budget.remaining().toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      work.cancel(true); // stops it at its next stage boundary; it keeps its permit till then
      throw budget.exceeded();
    } catch (InterruptedException e) {
      work.cancel(true);
      Thread.currentThread().interrupt();
      throw new InternalException("interrupted while preparing a module", e);
    } catch (ExecutionException e) {
      throw rethrown(e.getCause(), budget);
    }
  }

  private static RuntimeException rethrown(Throwable cause, PreparationBudget budget) {
    if (cause instanceof RuntimeException runtime) {
      return runtime;
    }
    if (cause instanceof StackOverflowError) {
      return new InvalidModuleException(
          "module nests too deeply to prepare (stack exhausted during " + budget.stage() + ")");
    }
    if (cause instanceof Error error) {
      throw error;
    }
    return new InternalException("preparing a module failed: " + cause, cause);
  }

  /** The most preparations that run at once. */
  public int permits() {
    return permits;
  }

  /** The preparations running now, abandoned ones included: never more than {@link #permits()}. */
  public int running() {
    return running.get();
  }

  /** The pool's threads alive now, idle ones included: never more than {@link #permits()}. */
  public int threads() {
    return threads.getPoolSize();
  }

  /** Permits held now (by running preparations, or about to start one). */
  public int busy() {
    return permits - free.availablePermits();
  }

  /** Interrupts the preparations running and stops the pool's threads. */
  @Override
  public void close() {
    threads.shutdownNow();
  }

  private static java.util.concurrent.ThreadFactory threadFactory() {
    AtomicInteger count = new AtomicInteger();
    return task -> {
      Thread t =
          new Thread(
              null, task, "capsule-preparation-" + count.incrementAndGet(), THREAD_STACK_BYTES);
      t.setDaemon(true);
      return t;
    };
  }
}
