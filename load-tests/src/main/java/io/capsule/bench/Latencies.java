package io.capsule.bench;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * Throughput, latency percentiles and CPU cost of one pipeline run. {@code cpuNanos} is the CPU
 * time this whole process (embedded broker, clients, workers) spent during the run.
 */
record Latencies(String name, int count, double seconds, long[] nanos, long cpuNanos) {

  /** CPU time of this process so far (all threads), in nanoseconds. */
  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** Time the JIT compilers have spent so far, in milliseconds (0 when the JVM does not say). */
  static long jitMillis() {
    var jit = ManagementFactory.getCompilationMXBean();
    return jit != null && jit.isCompilationTimeMonitoringSupported()
        ? jit.getTotalCompilationTime()
        : 0;
  }

  /** Process CPU time per task, in microseconds. */
  double cpuMicrosPerTask() {
    return cpuNanos / 1e3 / count;
  }

  /** Tasks per second over the whole run. */
  double throughput() {
    return count / seconds;
  }

  /** The {@code p} quantile (0..1) of the latencies, in milliseconds. */
  double percentileMs(double p) {
    return percentile(nanos, p) / 1e6;
  }

  /** The {@code p} quantile (0..1) of {@code values} (nearest rank). */
  static long percentile(long[] values, double p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))];
  }
}
