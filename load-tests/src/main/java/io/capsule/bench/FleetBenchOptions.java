package io.capsule.bench;

import io.capsule.worker.OutputMode;
import java.time.Duration;
import java.util.List;

/**
 * What a fleet benchmark run measures.
 *
 * @param workers in-process workers
 * @param concurrency task threads per worker
 * @param tasks tasks in the throughput flood (per pipeline)
 * @param latencyTasks tasks in the latency loop (per pipeline)
 * @param inFlight tasks outstanding at once in the latency loop
 * @param mixed whether to run the mixed workload too
 * @param mixedTasks tasks in the mixed workload
 * @param longTask how long a long task of the mixed workload sleeps
 * @param servers an existing cluster, or {@code null} for an embedded broker
 * @param shareGroups whether workers consume through share groups (KIP-932) instead of a classic
 *     group
 * @param workerProcesses the counts of worker processes (child JVMs, {@code concurrency} task
 *     threads each) to flood in turn after the in-process fleet; empty for none
 * @param outputs how the workers write their outputs (idempotent by default)
 */
public record FleetBenchOptions(
    int workers,
    int concurrency,
    int tasks,
    int latencyTasks,
    int inFlight,
    boolean mixed,
    int mixedTasks,
    Duration longTask,
    String servers,
    boolean shareGroups,
    List<Integer> workerProcesses,
    OutputMode outputs) {

  /** Checks that every count is positive. */
  public FleetBenchOptions {
    positive(workers, "workers");
    positive(concurrency, "concurrency");
    positive(tasks, "tasks");
    positive(latencyTasks, "latency tasks");
    positive(inFlight, "in-flight tasks");
    positive(mixedTasks, "mixed tasks");
    workerProcesses = List.copyOf(workerProcesses);
    workerProcesses.forEach(n -> positive(n, "worker processes"));
    if (longTask.isNegative() || longTask.isZero()) {
      throw new IllegalArgumentException("the long task's duration must be positive");
    }
  }

  /**
   * The defaults for {@code tasks} flooded tasks: a fifth of them (at least 50) in the latency loop
   * with one in flight; the mixed workload (off) of 600 tasks with 2-second long tasks.
   */
  public static FleetBenchOptions of(int workers, int concurrency, int tasks) {
    return new FleetBenchOptions(
        workers,
        concurrency,
        tasks,
        Math.max(50, tasks / 5),
        1,
        false,
        600,
        Duration.ofSeconds(2),
        null,
        false,
        List.of(),
        OutputMode.IDEMPOTENT);
  }

  /**
   * The same run with the mixed workload of {@code count} tasks whose long ones sleep {@code d}.
   */
  public FleetBenchOptions withMixed(int count, Duration d) {
    return new FleetBenchOptions(
        workers,
        concurrency,
        tasks,
        latencyTasks,
        inFlight,
        true,
        count,
        d,
        servers,
        shareGroups,
        workerProcesses,
        outputs);
  }

  /** The same run with {@code n} tasks in flight in the latency loop. */
  public FleetBenchOptions withInFlight(int n) {
    return new FleetBenchOptions(
        workers,
        concurrency,
        tasks,
        latencyTasks,
        n,
        mixed,
        mixedTasks,
        longTask,
        servers,
        shareGroups,
        workerProcesses,
        outputs);
  }

  /** The same run against an existing cluster. */
  public FleetBenchOptions withServers(String bootstrapServers) {
    return new FleetBenchOptions(
        workers,
        concurrency,
        tasks,
        latencyTasks,
        inFlight,
        mixed,
        mixedTasks,
        longTask,
        bootstrapServers,
        shareGroups,
        workerProcesses,
        outputs);
  }

  /** The same run with workers consuming through share groups. */
  public FleetBenchOptions withShareGroups() {
    return new FleetBenchOptions(
        workers,
        concurrency,
        tasks,
        latencyTasks,
        inFlight,
        mixed,
        mixedTasks,
        longTask,
        servers,
        true,
        workerProcesses,
        outputs);
  }

  /** The same run, then floods through {@code counts} worker processes in turn. */
  public FleetBenchOptions withWorkerProcesses(List<Integer> counts) {
    return new FleetBenchOptions(
        workers,
        concurrency,
        tasks,
        latencyTasks,
        inFlight,
        mixed,
        mixedTasks,
        longTask,
        servers,
        shareGroups,
        counts,
        outputs);
  }

  /** The same run with workers writing their outputs as {@code mode} says. */
  public FleetBenchOptions withOutputs(OutputMode mode) {
    return new FleetBenchOptions(
        workers,
        concurrency,
        tasks,
        latencyTasks,
        inFlight,
        mixed,
        mixedTasks,
        longTask,
        servers,
        shareGroups,
        workerProcesses,
        mode);
  }

  /**
   * Arrivals per second of the mixed workload: long tasks (1 in 20) then occupy about half the
   * fleet's task slots on average, and the arrivals stay under a quarter of the fleet's measured
   * throughput {@code fleetPerSecond}, so a short task always finds a slot and capacity to spare.
   */
  double mixedRate(double fleetPerSecond) {
    double slots = workers * concurrency;
    return Math.min(0.5 * slots / (0.05 * longTask.toMillis() / 1000.0), fleetPerSecond / 4);
  }

  private static void positive(int value, String what) {
    if (value <= 0) {
      throw new IllegalArgumentException(what + " must be positive, was " + value);
    }
  }
}
