package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GatewayCommandTest {
  @Test
  void refusesToRunOpenUnlessToldNoAuth() {
    CliRun run = CliRun.of("gateway", "--bootstrap-servers", "127.0.0.1:1", "--port", "0");
    assertThat(run.exitCode()).isEqualTo(Main.USAGE);
    assertThat(run.err()).contains("--no-auth");
  }

  @Test
  void noAuthAndTokenFileExcludeEachOther() {
    CliRun run = CliRun.of("gateway", "--no-auth", "--token-file", "tokens.txt");
    assertThat(run.exitCode()).isEqualTo(Main.USAGE);
    assertThat(run.err()).contains("exclude each other");
  }

  @Test
  void tokenFileWithAnUnknownScopeIsAUsageErrorNamingTheLineNotTheSecret(@TempDir Path dir)
      throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("tokens"),
            "admin:admin-secret-0123456789\nowner:owner-secret-0123456789\n");
    CliRun run =
        CliRun.of(
            "gateway",
            "--bootstrap-servers",
            "127.0.0.1:1",
            "--port",
            "0",
            "--token-file",
            file.toString());
    assertThat(run.exitCode()).isEqualTo(Main.USAGE);
    assertThat(run.err()).contains("line 2", "read, submit, admin").doesNotContain("secret");
  }
}
