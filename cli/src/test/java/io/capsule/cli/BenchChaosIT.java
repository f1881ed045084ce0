package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The quick chaos run ({@code capsule bench chaos --quick --tasks 400 --outputs transactional}):
 * 400 or more tasks (the stream runs until the faults are over) through three {@code capsule
 * worker} processes with transactional outputs on a three-broker cluster while each kind of fault
 * runs once (worker kill, partition leader kill, coordinator kill, a worker frozen past its
 * session, a stalled connection). Every task must be accounted for, with exactly one final envelope
 * each for a {@code read_committed} reader; the recovery figures are printed, not asserted. About
 * 150 s.
 */
class BenchChaosIT {

  @AfterEach
  void leaveNoProcessBehind() {
    ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
  }

  @Test
  void quickTransactionalChaosRunLosesNoTaskAndEndsEachOnce() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Main.execute(
            new PrintWriter(out),
            new PrintWriter(err),
            "bench",
            "chaos",
            "--quick",
            // the stream still outlasts the five faults (about 90 s of them at 4 tasks/s)
            "--tasks",
            "400",
            "--outputs",
            "transactional",
            "--logs",
            "target/chaos-logs");
    String report = out.toString();
    System.out.println(report);

    List<String> lines = report.lines().toList();
    assertThat(lines).as("report:%n%s%nerrors:%n%s", report, err).isNotEmpty();
    assertThat(lines).anyMatch(l -> l.matches("tasks=\\d+ lost=0 .*"));
    assertThat(lines.get(lines.size() - 1)).startsWith("lost=0 duplicate_finals=0");
    assertThat(lines).filteredOn(l -> l.startsWith("fault=")).hasSize(5);
    assertThat(lines).anyMatch(l -> l.startsWith("throughput_per_s before="));
    assertThat(code).isZero();
  }
}
