package io.capsule.bench;

import java.util.Arrays;
import java.util.Locale;

/** Throughput and latency percentiles of one pipeline run. */
record Latencies(String name, int count, double seconds, long[] nanos) {

  double throughput() {
    return count / seconds;
  }

  double percentileMs(double p) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))] / 1e6;
  }

  String row() {
    return String.format(
        Locale.ROOT,
        "| %s | %d | %.0f | %.2f | %.2f | %.2f |",
        name,
        count,
        throughput(),
        percentileMs(0.5),
        percentileMs(0.99),
        percentileMs(0.999));
  }
}
