package io.capsule.bench;

import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.PreparedModule;
import io.capsule.sandbox.Sandbox;
import io.capsule.sandbox.SandboxConfig;
import io.capsule.sandbox.TaskCall;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The sandbox half of a task's irreducible cost: the trivial module the fleet runs, prepared once,
 * then a fresh instance and run per task through {@link Sandbox#attempt} in this process, with the
 * options the fleet's tasks carry. Measured as process CPU time per attempt, the way the floods
 * are, so the figure adds to the raw Kafka ceiling's on the same scale, and like them after the JIT
 * has settled: the median of {@value #ROUNDS} rounds.
 */
final class BareAttempt {
  // As the floods' warm-up: until compilation takes under this share of a round's wall time. One
  // round of warm-up left the JIT compiling through the measurement: up to ~80 µs per attempt of
  // process CPU in no Java thread, charged to the irreducible cost (and varying run to run).
  private static final double JIT_SETTLED = 0.05;
  private static final Duration WARM_UP_LIMIT = Duration.ofSeconds(20);
  // Measured rounds, the median reported (as the fleet's floods: one round that met a burst of
  // other work on the machine does not decide the figure).
  private static final int ROUNDS = 3;

  private BareAttempt() {}

  /**
   * What an attempt cost, in microseconds of CPU: the whole process's, and per thread group ({@link
   * ThreadCpu}).
   */
  record Cost(double cpuMicrosPerTask, Map<String, Double> cpuByThread, String warmUp) {}

  /**
   * The cost per attempt over {@code runs} attempts (the median of {@value #ROUNDS} rounds), after
   * rounds of as many until the JIT settles (or {@link #WARM_UP_LIMIT}).
   */
  static Cost measure(int runs) {
    TaskOptions options = FleetPipeline.taskOptions(FleetPipeline.TIMEOUT);
    try (Sandbox sandbox = Sandbox.create(SandboxConfig.builder().withCacheDir(null).build())) {
      PreparedModule module = sandbox.prepare(BenchModules.trivial(), options);
      TaskCall call = new TaskCall(options, List.of());
      String warmUp = warmUp(sandbox, module, call, runs);
      List<Cost> rounds = new ArrayList<>();
      for (int i = 0; i < ROUNDS; i++) {
        ThreadCpu threads = ThreadCpu.now();
        long start = Latencies.processCpuNanos();
        attempts(sandbox, module, call, runs);
        double micros = (Latencies.processCpuNanos() - start) / 1e3 / runs;
        rounds.add(new Cost(micros, ThreadCpu.now().microsPerTaskSince(threads, runs), warmUp));
      }
      rounds.sort(Comparator.comparingDouble(Cost::cpuMicrosPerTask));
      Cost median = rounds.get(ROUNDS / 2);
      return new Cost(
          median.cpuMicrosPerTask(),
          median.cpuByThread(),
          warmUp
              + rounds.stream()
                  .map(r -> String.format(Locale.ROOT, "%.0f", r.cpuMicrosPerTask()))
                  .collect(Collectors.joining(" ", "; median of " + ROUNDS + " rounds, ", " µs")));
    }
  }

  /** Rounds of {@code runs} attempts until the JIT settles; says what it took. */
  private static String warmUp(Sandbox sandbox, PreparedModule module, TaskCall call, int runs) {
    long start = System.nanoTime();
    int total = 0;
    double jitShare;
    do {
      long jit = Latencies.jitMillis();
      long roundStart = System.nanoTime();
      attempts(sandbox, module, call, runs);
      total += runs;
      jitShare = (Latencies.jitMillis() - jit) * 1e6 / (System.nanoTime() - roundStart);
    } while (jitShare > JIT_SETTLED && System.nanoTime() - start < WARM_UP_LIMIT.toNanos());
    return String.format(
        Locale.ROOT,
        "bare sandbox attempt: warm-up %d attempts in %.1f s, JIT compiling %.0f%% of the last round",
        total,
        (System.nanoTime() - start) / 1e9,
        jitShare * 100);
  }

  private static void attempts(Sandbox sandbox, PreparedModule module, TaskCall call, int runs) {
    for (int i = 0; i < runs; i++) {
      if (!sandbox.attempt(module, call).success()) {
        throw new IllegalStateException("the trivial task failed in the bare sandbox");
      }
    }
  }
}
