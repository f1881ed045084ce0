package io.capsule.bench;

import java.util.Arrays;

/** Throughput and latency percentiles of one pipeline run. */
record Latencies(String name, int count, double seconds, long[] nanos) {

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
