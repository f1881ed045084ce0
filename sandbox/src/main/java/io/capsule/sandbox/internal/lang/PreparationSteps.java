package io.capsule.sandbox.internal.lang;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The steps of a one-time interpreter preparation (compile, probe, asyncify, snapshot, …): each is
 * printed on the progress stream when it starts and again with its wall time when it ends, so a
 * user waiting on a first run sees what is happening and where the time goes; the steps are kept
 * for a caller that reports them ({@code capsule prepare}).
 */
public final class PreparationSteps {
  /**
   * One finished step: its wall time, and the CPU time this JVM spent meanwhile (all its threads:
   * the JIT's too; not a child process's) — on a shared machine the wall time says more about the
   * load than about the step.
   */
  public record Step(String name, Duration took, Duration cpu) {}

  /** How long work runs before {@link #announcedIfSlow} says what it is doing. */
  static final Duration ANNOUNCE_AFTER = Duration.ofSeconds(2);

  private final PrintStream progress;
  private final List<Step> steps = new CopyOnWriteArrayList<>();

  /** Steps printed on {@code progress}. */
  public PreparationSteps(PrintStream progress) {
    this.progress = progress;
  }

  /** Runs {@code work} as the step {@code name}. */
  public <T> T run(String name, Supplier<T> work) {
    progress.println("capsule:   " + name + "…");
    long start = System.nanoTime();
    long cpu = processCpuNanos();
    T result = work.get();
    finish(name, start, cpu);
    return result;
  }

  /**
   * Runs {@code work}, which names its stages to the consumer it is given (as {@code
   * PreparationBudget} stages are named): each stage is a step {@code "what: stage"}, ended by the
   * next stage or by the end of the work.
   */
  public <T> T runStages(String what, Function<Consumer<String>, T> work) {
    var clock = new StageClock(what);
    try {
      return work.apply(clock);
    } finally {
      clock.end();
    }
  }

  /**
   * Runs {@code work}, printing {@code "capsule: WHAT…"} on {@code progress} if it is still running
   * after {@link #ANNOUNCE_AFTER}: for work that is quick when the cache holds its result and long
   * when it must be made (a user then sees at once why the first run waits).
   */
  public static <T> T announcedIfSlow(PrintStream progress, String what, Supplier<T> work) {
    long start = System.nanoTime();
    // 0 = pending, 1 = announced, 2 = ended before the announcement; the lock keeps the timing line
    // after an announcement that is being printed (a cancelled future may still be running it)
    AtomicInteger state = new AtomicInteger();
    Object lock = new Object();
    CompletableFuture<Void> announce =
        CompletableFuture.runAsync(
            () -> {
              synchronized (lock) {
                if (state.compareAndSet(0, 1)) {
                  progress.println("capsule: " + what + "…");
                }
              }
            },
            CompletableFuture.delayedExecutor(
                ANNOUNCE_AFTER.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS));
    try {
      return work.get();
    } finally {
      announce.cancel(false);
      synchronized (lock) {
        if (!state.compareAndSet(0, 2)) {
          progress.println(
              "capsule: " + what + ": " + seconds(Duration.ofNanos(System.nanoTime() - start)));
        }
      }
    }
  }

  /** The steps finished so far, in order. */
  public List<Step> steps() {
    return List.copyOf(steps);
  }

  /** {@code d} as seconds with one decimal, {@code "12.3 s"}. */
  public static String seconds(Duration d) {
    return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
  }

  private void finish(String name, long start, long cpuStart) {
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    Duration cpu = Duration.ofNanos(Math.max(0, processCpuNanos() - cpuStart));
    steps.add(new Step(name, took, cpu));
    progress.println("capsule:   " + name + ": " + seconds(took) + " (CPU " + seconds(cpu) + ")");
  }

  /** This JVM's CPU time so far, or 0 where the platform does not say. */
  private static long processCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean()
            instanceof com.sun.management.OperatingSystemMXBean os
        ? Math.max(0, os.getProcessCpuTime())
        : 0;
  }

  /** Times named stages one after the other. */
  private final class StageClock implements Consumer<String> {
    private final String what;
    private String stage;
    private long start;
    private long cpu;

    StageClock(String what) {
      this.what = what;
    }

    @Override
    public void accept(String next) {
      end();
      stage = what + ": " + next;
      start = System.nanoTime();
      cpu = processCpuNanos();
      progress.println("capsule:   " + stage + "…");
    }

    void end() {
      if (stage != null) {
        finish(stage, start, cpu);
        stage = null;
      }
    }
  }
}
