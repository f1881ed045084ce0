package io.capsule.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The fleet benchmark in a tiny form on its own embedded broker, so it cannot rot. */
class FleetBenchIT {

  @Test
  void tinyRunWithMixedWorkloadPrintsBothPipelinesTheMixedTableAndTheRatioLast() throws Exception {
    var text = new StringWriter();
    var options = FleetBenchOptions.of(1, 2, 60).withMixed(40, Duration.ofMillis(200));
    new FleetBench(options, new PrintWriter(text, true)).run();
    var lines = text.toString().strip().lines().toList();
    assertThat(lines).anyMatch(l -> l.startsWith("| raw Kafka ceiling"));
    assertThat(lines).anyMatch(l -> l.startsWith("| fleet (1 workers × 2 threads)"));
    assertThat(lines).anyMatch(l -> l.startsWith("| long (sleeping) tasks | 2 |"));
    assertThat(lines).anyMatch(l -> l.matches("mixed_short_p99_ms=\\d+\\.\\d{2}"));
    assertThat(lines.get(lines.size() - 2)).matches("p50_gap_ms=-?\\d+\\.\\d{2}");
    assertThat(lines.get(lines.size() - 1)).matches("ratio=\\d+\\.\\d{3}");
  }
}
