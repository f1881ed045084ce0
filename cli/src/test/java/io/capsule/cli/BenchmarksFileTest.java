package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchmarksFileTest {
  @TempDir Path tmp;

  @Test
  void rewritesOnlyItsOwnMarkedSection() throws Exception {
    Path file = tmp.resolve("BENCHMARKS.md");
    Files.writeString(
        file, "# B\nintro\n<!-- bench:sandbox:start -->\nold\n<!-- bench:sandbox:end -->\ntail\n");
    BenchmarksFile.writeSection(file, "sandbox", "./capsule bench sandbox", "| a | 1 |\n");
    String text = Files.readString(file);
    assertThat(text).startsWith("# B\nintro\n").endsWith("tail\n").doesNotContain("old");
    assertThat(text).contains("Command: `./capsule bench sandbox`").contains("| a | 1 |");

    BenchmarksFile.writeSection(file, "fleet", "./capsule bench fleet", "ratio=0.9");
    assertThat(Files.readString(file)).contains("| a | 1 |").contains("ratio=0.9");
  }
}
