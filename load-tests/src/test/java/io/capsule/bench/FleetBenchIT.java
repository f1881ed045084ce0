package io.capsule.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fleet benchmark in a tiny form on its own embedded broker, so it cannot rot. */
class FleetBenchIT {

  @Test
  void tinyRunPrintsBothPipelinesTheMixedTableAWorkerProcessAndTheOverheadLast() throws Exception {
    var text = new StringWriter();
    var options =
        FleetBenchOptions.of(1, 2, 60)
            .withMixed(40, Duration.ofMillis(200))
            .withWorkerProcesses(List.of(1));
    new FleetBench(options, new PrintWriter(text, true)).run();
    var lines = text.toString().strip().lines().toList();
    assertThat(lines).anyMatch(l -> l.startsWith("| raw Kafka ceiling"));
    assertThat(lines).anyMatch(l -> l.startsWith("| fleet (1 workers × 2 threads)"));
    assertThat(lines).anyMatch(l -> l.startsWith("| long (sleeping) tasks | 2 |"));
    assertThat(lines).anyMatch(l -> l.matches("mixed_short_p99_ms=\\d+\\.\\d{2}"));
    assertThat(lines).anyMatch(l -> l.startsWith("| bare sandbox attempt"));
    assertThat(lines)
        .anyMatch(l -> l.matches("\\| 1 \\| 60 \\| \\d+ \\| \\d+ \\| \\d+ \\| \\d+ \\|"));
    // the quick form warms the processes up with one flood, whose workers' CPU per task it prints
    assertThat(lines)
        .anyMatch(
            l ->
                l.matches(
                    "fleet \\(1 worker processes × 2 threads\\): warm-up 60 tasks in \\d+\\.\\d s"
                        + " \\(the quick form's one flood\\), worker processes' CPU µs/task per flood \\d+"));
    assertThat(lines)
        .anyMatch(
            l ->
                l.startsWith(
                    "| raw Kafka, the fleet's records answered at the fleet's rate (no-op) |"));
    assertThat(lines).anyMatch(l -> l.startsWith("| overhead beyond the contract's records"));
    assertThat(lines.get(lines.size() - 4)).matches("p50_gap_ms=-?\\d+\\.\\d{2}");
    assertThat(lines.get(lines.size() - 3)).matches("ratio=\\d+\\.\\d{3}");
    assertThat(lines.get(lines.size() - 2)).matches("overhead_fleet_records=\\d+\\.\\d{2}");
    assertThat(lines.get(lines.size() - 1)).matches("overhead=\\d+\\.\\d{2}");
  }
}
