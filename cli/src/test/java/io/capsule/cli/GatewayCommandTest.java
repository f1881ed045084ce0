package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

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
}
