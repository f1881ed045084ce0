package io.capsule.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The fleet benchmark in a tiny form on its own embedded broker, so it cannot rot. */
class FleetBenchIT {

  @Test
  void quickRunPrintsBothPipelinesAndTheRatioLast() throws Exception {
    var bytes = new ByteArrayOutputStream();
    new FleetBench(1, 2, 100, null, new PrintStream(bytes, true, StandardCharsets.UTF_8)).run();
    var lines = bytes.toString(StandardCharsets.UTF_8).strip().lines().toList();
    assertThat(lines).anyMatch(l -> l.startsWith("| raw Kafka ceiling"));
    assertThat(lines).anyMatch(l -> l.startsWith("| fleet (sandbox, 1 workers × 2 threads)"));
    assertThat(lines.get(lines.size() - 1)).matches("ratio=\\d+\\.\\d{3}");
  }
}
