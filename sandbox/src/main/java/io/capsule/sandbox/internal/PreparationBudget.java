package io.capsule.sandbox.internal;

import io.capsule.protocol.Durations;
import io.capsule.protocol.InvalidModuleException;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The wall-clock time one preparation of untrusted input may take (WAT assembly, parsing,
 * validation, fuel instrumentation, compilation): the task's timeout where it has one, raised to a
 * floor and capped by the operator's ceiling.
 *
 * <p>Stages say where they are with {@link #enter(String)}, which also refuses to start a stage
 * once the deadline has passed, so work that cannot be interrupted (Chicory's parser and compiler)
 * stops at the next stage boundary; its own worst case is bounded by the input size limits. Work
 * that checks interrupts (wat2wasm in Chicory's interpreter checks at calls and branches) runs
 * under {@link #interruptAtDeadline(Supplier)}. Untrusted preparations run in a {@link
 * PreparationPool}, which bounds how many such runs-on there can be at once.
 *
 * <p>The floor stays although the task's timeout is shorter: preparation is a one-time cost per
 * module (cached in memory and on disk), so charging it all to one task would make the outcome
 * depend on the cache (a task succeeding on a warm worker and ending {@code invalid_module} on a
 * cold one); the pool bounds what the floor can cost the host. {@link #exceeded()} names the budget
 * that ended the preparation (the task's timeout, the floor, or the operator's ceiling).
 */
public final class PreparationBudget {
  private static final ScheduledExecutorService WATCHDOG = watchdog();

  private final Duration limit;
  private final String source;
  private final boolean bounded;
  private final long deadline;
  private final Consumer<String> onStage;
  private volatile String stage = "start";

  private PreparationBudget(Duration limit, String source) {
    this(limit, source, true, stage -> {});
  }

  private PreparationBudget(
      Duration limit, String source, boolean bounded, Consumer<String> onStage) {
    this.limit = limit;
    this.source = source;
    this.bounded = bounded;
    this.onStage = onStage;
    this.deadline = System.nanoTime() + limit.toNanos();
  }

  /**
   * A budget starting now: the task's timeout, but at least {@code floor} and at most {@code
   * ceiling}; {@code ceiling} when the task has no timeout.
   *
   * @param taskTimeout the task's timeout, or {@code null} when it has none
   * @param floor the least time preparation gets (a normal module's compile on a cold JVM must not
   *     turn a short timeout into {@code invalid_module}), not negative
   * @param ceiling the operator's preparation timeout, positive and not below {@code floor}
   */
  public static PreparationBudget of(Duration taskTimeout, Duration floor, Duration ceiling) {
    if (ceiling.isNegative() || ceiling.isZero() || floor.isNegative()) {
      throw new IllegalArgumentException(
          "preparation ceiling must be positive, floor not negative");
    }
    if (floor.compareTo(ceiling) > 0) {
      throw new IllegalArgumentException("preparation floor exceeds the ceiling");
    }
    if (taskTimeout == null || taskTimeout.compareTo(ceiling) >= 0) {
      return new PreparationBudget(ceiling, "the preparation timeout");
    }
    if (taskTimeout.compareTo(floor) < 0) {
      return new PreparationBudget(
          floor,
          "the minimum preparation time; the task's timeout is " + Durations.format(taskTimeout));
    }
    return new PreparationBudget(taskTimeout, "the task's timeout");
  }

  /** No deadline: for Capsule's own pinned interpreters, which are trusted input. */
  public static PreparationBudget unlimited() {
    return unlimited(stage -> {});
  }

  /** {@link #unlimited()}, telling {@code onStage} the name of each stage as it starts. */
  public static PreparationBudget unlimited(Consumer<String> onStage) {
    return new PreparationBudget(Duration.ofDays(365), "no limit", false, onStage);
  }

  /** The whole budget. */
  public Duration limit() {
    return limit;
  }

  /** The stage last entered. */
  public String stage() {
    return stage;
  }

  /** The time left, zero when spent. */
  public Duration remaining() {
    return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
  }

  /** Whether the deadline has passed. */
  public boolean expired() {
    return deadline - System.nanoTime() <= 0;
  }

  /**
   * Starts a stage.
   *
   * @throws InvalidModuleException when the deadline has passed or the thread was interrupted (the
   *     caller stopped waiting)
   */
  public void enter(String stage) {
    check();
    this.stage = stage;
    onStage.accept(stage);
  }

  /** Throws {@link #exceeded()} when the deadline has passed or the thread was interrupted. */
  public void check() {
    if (bounded && (expired() || Thread.currentThread().isInterrupted())) {
      throw exceeded();
    }
  }

  /** The outcome of a preparation that ran out of time, naming the stage and the budget. */
  public InvalidModuleException exceeded() {
    return new InvalidModuleException(
        "preparation exceeded its time budget of "
            + Durations.format(limit)
            + " ("
            + source
            + ") during "
            + stage);
  }

  /**
   * Runs {@code work} on this thread, interrupting the thread at the deadline.
   *
   * @throws InvalidModuleException ({@link #exceeded()}) when the deadline interrupted the work
   */
  public <T> T interruptAtDeadline(Supplier<T> work) {
    var watch = new Watch(Thread.currentThread());
    ScheduledFuture<?> alarm =
        WATCHDOG.schedule(watch::fire, remaining().toNanos(), TimeUnit.NANOSECONDS);
    try {
      return work.get();
    } catch (RuntimeException e) {
      if (watch.fired()) {
        throw exceeded();
      }
      throw e;
    } finally {
      alarm.cancel(false);
      if (watch.finish()) {
        Thread.interrupted(); // the alarm's interrupt, not someone else's: clear it
      }
    }
  }

  /** One daemon thread for every deadline; a cancelled alarm leaves its queue at once. */
  private static ScheduledExecutorService watchdog() {
    var executor =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "capsule-preparation-watchdog");
              t.setDaemon(true);
              return t;
            });
    executor.setRemoveOnCancelPolicy(true);
    return executor;
  }

  /** Interrupts its thread at most once, and never after the work finished. */
  private static final class Watch {
    private final Thread thread;
    private boolean done;
    private boolean fired;

    Watch(Thread thread) {
      this.thread = thread;
    }

    synchronized void fire() {
      if (!done) {
        fired = true;
        thread.interrupt();
      }
    }

    synchronized boolean fired() {
      return fired;
    }

    /** Marks the work finished; whether the alarm had interrupted it. */
    synchronized boolean finish() {
      done = true;
      return fired;
    }
  }
}
