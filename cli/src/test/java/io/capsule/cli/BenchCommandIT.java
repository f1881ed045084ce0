package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code capsule bench sandbox --quick} and {@code capsule bench fleet --quick} run in-process with
 * tiny sizes, so the commands cannot rot. The figures are printed, never asserted.
 */
class BenchCommandIT {
  @TempDir Path tmp;

  @Test
  void sandboxQuickRunsEveryPartIncludingNewProcessesAndWritesItsSection() throws Exception {
    Path file = tmp.resolve("BENCHMARKS.md");
    List<String> lines = run("bench", "sandbox", "--quick", "--write", file.toString());
    assertThat(lines)
        .anyMatch(l -> l.startsWith("| new process: `capsule run --no-daemon lz.wasm` again"));
    assertThat(lines.get(lines.size() - 2)).startsWith("fuel_overhead=");
    assertThat(lines.get(lines.size() - 1)).startsWith("instantiate_us=");
    assertThat(Files.readString(file))
        .contains("<!-- bench:sandbox:start -->")
        .contains("Command: `./capsule bench sandbox --quick`")
        .contains("cores (nproc)");
  }

  @Test
  void fleetQuickRunsTheCeilingTheFleetAndTheMixedWorkload() throws Exception {
    List<String> lines =
        run("bench", "fleet", "--quick", "--workers", "1", "--tasks", "60", "--mixed");
    assertThat(lines).anyMatch(l -> l.startsWith("| raw Kafka ceiling"));
    assertThat(lines).anyMatch(l -> l.startsWith("| short (trivial) tasks"));
    assertThat(lines.get(lines.size() - 3)).startsWith("ratio=");
    assertThat(lines.get(lines.size() - 2)).matches("overhead_fleet_records=\\d+\\.\\d{2}");
    assertThat(lines.get(lines.size() - 1)).matches("overhead=\\d+\\.\\d{2}");
  }

  private static List<String> run(String... args) {
    var out = new StringWriter();
    var err = new StringWriter();
    int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    assertThat(code).as("exit code; stderr: %s", err).isZero();
    return out.toString().strip().lines().toList();
  }
}
