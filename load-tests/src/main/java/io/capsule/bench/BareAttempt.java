package io.capsule.bench;

import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.PreparedModule;
import io.capsule.sandbox.Sandbox;
import io.capsule.sandbox.SandboxConfig;
import io.capsule.sandbox.TaskCall;
import java.util.List;
import java.util.Map;

/**
 * The sandbox half of a task's irreducible cost: the trivial module the fleet runs, prepared once,
 * then a fresh instance and run per task through {@link Sandbox#attempt} in this process, with the
 * options the fleet's tasks carry. Measured as process CPU time per attempt, the way the floods
 * are, so the figure adds to the raw Kafka ceiling's on the same scale.
 */
final class BareAttempt {
  private BareAttempt() {}

  /**
   * What an attempt cost, in microseconds of CPU: the whole process's, and per thread group ({@link
   * ThreadCpu}).
   */
  record Cost(double cpuMicrosPerTask, Map<String, Double> cpuByThread) {}

  /** The cost per attempt over {@code runs} attempts after as many to warm up. */
  static Cost measure(int runs) {
    TaskOptions options = FleetPipeline.taskOptions(FleetPipeline.TIMEOUT);
    try (Sandbox sandbox = Sandbox.create(SandboxConfig.builder().withCacheDir(null).build())) {
      PreparedModule module = sandbox.prepare(BenchModules.trivial(), options);
      TaskCall call = new TaskCall(options, List.of());
      attempts(sandbox, module, call, runs);
      ThreadCpu threads = ThreadCpu.now();
      long start = Latencies.processCpuNanos();
      attempts(sandbox, module, call, runs);
      double micros = (Latencies.processCpuNanos() - start) / 1e3 / runs;
      return new Cost(micros, ThreadCpu.now().microsPerTaskSince(threads, runs));
    }
  }

  private static void attempts(Sandbox sandbox, PreparedModule module, TaskCall call, int runs) {
    for (int i = 0; i < runs; i++) {
      if (!sandbox.attempt(module, call).success()) {
        throw new IllegalStateException("the trivial task failed in the bare sandbox");
      }
    }
  }
}
