package io.capsule.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Drives a pipeline in the three shapes the fleet benchmark reports: a flood (every task submitted
 * at once: throughput at saturation), a closed loop with a fixed number in flight (latency without
 * queueing), and an open loop at a fixed rate (the mixed workload).
 */
final class LoadDriver {
  private static final long WAIT_MINUTES = 10;

  private LoadDriver() {}

  /** Submits {@code count} tasks at once and waits for every reply. */
  static Latencies flood(Pipeline pipeline, int count) throws Exception {
    long[] latencies = new long[count];
    List<CompletableFuture<?>> all = new ArrayList<>(count);
    long cpu = Latencies.processCpuNanos();
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      all.add(timed(pipeline.submit(), latencies, i, System.nanoTime()));
    }
    awaitAll(all);
    double seconds = seconds(start);
    return new Latencies(
        pipeline.name(), count, seconds, latencies, Latencies.processCpuNanos() - cpu);
  }

  /** Submits {@code count} tasks keeping {@code inFlight} outstanding. */
  static Latencies closedLoop(Pipeline pipeline, int count, int inFlight) throws Exception {
    long[] latencies = new long[count];
    Semaphore slots = new Semaphore(inFlight);
    List<CompletableFuture<?>> all = new ArrayList<>(count);
    long cpu = Latencies.processCpuNanos();
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      if (!slots.tryAcquire(WAIT_MINUTES, TimeUnit.MINUTES)) {
        throw new IllegalStateException(pipeline.name() + ": no reply for " + WAIT_MINUTES + "m");
      }
      CompletableFuture<?> reply = timed(pipeline.submit(), latencies, i, System.nanoTime());
      all.add(reply.whenComplete((ok, error) -> slots.release()));
    }
    awaitAll(all);
    double seconds = seconds(start);
    return new Latencies(
        pipeline.name(), count, seconds, latencies, Latencies.processCpuNanos() - cpu);
  }

  /**
   * Submits {@code count} tasks at {@code perSecond}, task {@code i} made by {@code submit};
   * returns each task's latency in nanoseconds.
   */
  static long[] openLoop(int count, double perSecond, IntFunction<CompletableFuture<?>> submit)
      throws Exception {
    long[] latencies = new long[count];
    List<CompletableFuture<?>> all = new ArrayList<>(count);
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      long due = start + (long) (i * 1e9 / perSecond);
      long wait = due - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      all.add(timed(submit.apply(i), latencies, i, System.nanoTime()));
    }
    awaitAll(all);
    return latencies;
  }

  private static CompletableFuture<?> timed(
      CompletableFuture<?> reply, long[] latencies, int index, long sent) {
    return reply.thenRun(() -> latencies[index] = System.nanoTime() - sent);
  }

  private static void awaitAll(List<CompletableFuture<?>> all) throws Exception {
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .get(WAIT_MINUTES, TimeUnit.MINUTES);
  }

  private static double seconds(long start) {
    return (System.nanoTime() - start) / 1e9;
  }
}
