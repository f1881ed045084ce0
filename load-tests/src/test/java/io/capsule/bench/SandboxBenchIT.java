package io.capsule.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The sandbox benchmark in its quick form, so it cannot rot. No figure is asserted. */
class SandboxBenchIT {

  @Test
  void quickRunPrintsEveryPartAndTheSummaryLinesLast() throws Exception {
    var text = new StringWriter();
    new SandboxBench(true, new PrintWriter(text, true), null).run();
    var lines = text.toString().strip().lines().toList();
    assertThat(lines).anyMatch(l -> l.startsWith("| trivial task: fresh instance"));
    assertThat(lines).anyMatch(l -> l.startsWith("| trivial task on bare Chicory"));
    for (String name : BenchModules.CPU) {
      assertThat(lines).anyMatch(l -> l.startsWith("| metering " + name + " "));
      assertThat(lines).anyMatch(l -> l.startsWith("| interpreter vs compiled: " + name + " "));
    }
    assertThat(lines).anyMatch(l -> l.contains("node") && l.contains("lz"));
    assertThat(lines).anyMatch(l -> l.startsWith("| new process runs | skipped |"));
    assertThat(lines.get(lines.size() - 2)).matches("fuel_overhead=\\d+\\.\\d{3}");
    assertThat(lines.get(lines.size() - 1)).matches("instantiate_us=\\d+");
  }
}
