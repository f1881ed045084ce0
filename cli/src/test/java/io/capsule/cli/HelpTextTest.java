package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Help texts say what the commands really do. */
class HelpTextTest {
  @Test
  void upSaysItStartsItsOwnBrokerUnlessAClusterIsNamed() {
    CliRun help = CliRun.of("up", "--help");

    assertThat(help.exitCode()).isZero();
    assertThat(help.out().replaceAll("\\s+", " "))
        .contains("instead of starting an embedded broker")
        .doesNotContain("localhost:9092");
  }

  @Test
  void fleetCommandsKeepTheirClusterDefault() {
    assertThat(CliRun.of("status", "--help").out().replaceAll("\\s+", " "))
        .contains("else localhost:9092");
  }

  @ParameterizedTest
  @ValueSource(strings = {"run", "submit"})
  void taskCommandsNameTheScriptFilesTheyTake(String command) {
    String help = CliRun.of(command, "--help").out();

    assertThat(help).contains(".wasm", ".py", ".js", ".ts");
  }

  @Test
  void submitTakesAnArgsFileAsRunDoes() {
    assertThat(CliRun.of("submit", "--help").out()).contains("--args-file");
    assertThat(CliRun.of("run", "--help").out()).contains("--args-file");
  }
}
