package io.capsule.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The sandbox benchmark in its quick form, so it cannot rot. No figure is asserted. */
class SandboxBenchIT {

  @Test
  void quickRunPrintsEveryFigureAndTheSummaryLinesLast() throws Exception {
    var bytes = new ByteArrayOutputStream();
    var out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    new SandboxBench(true, out, null).run();
    var lines = bytes.toString(StandardCharsets.UTF_8).strip().lines().toList();
    assertThat(lines).anyMatch(l -> l.startsWith("| metering lz"));
    assertThat(lines).anyMatch(l -> l.startsWith("| interpreter vs compiled"));
    assertThat(lines.get(lines.size() - 2)).matches("fuel_overhead=\\d+\\.\\d{3}");
    assertThat(lines.get(lines.size() - 1)).matches("instantiate_us=\\d+");
  }
}
