package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.CapsuleJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RunCommandTest {
  private static final Path EXAMPLES = Path.of("..", "examples");
  private static final Path CORPUS =
      Path.of("..", "sandbox", "src", "test", "resources", "corpus", "wat");

  @TempDir Path tmp;

  private static JsonNode envelope(CliRun run) {
    assertThat(run.out().lines()).hasSize(1);
    return CapsuleJson.readTree(run.out());
  }

  @Test
  void jsonPrintsExactlyTheEnvelopeOnStdout() {
    CliRun run = CliRun.of("run", EXAMPLES.resolve("hello.wat").toString(), "--json");
    assertThat(run.exitCode()).isZero();
    JsonNode envelope = envelope(run);
    assertThat(envelope.get("success").asBoolean()).isTrue();
    assertThat(envelope.at("/result/hello").asText()).isEqualTo("world");
    assertThat(run.err()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"typescript/hello.ts", "javascript/hello.js"})
  void readmeScriptExamplesRun(String example) {
    CliRun run = CliRun.of("run", EXAMPLES.resolve(example).toString(), "--json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode envelope = envelope(run);
    assertThat(envelope.get("result").asText()).isEqualTo("Hello from Capsule!");
    assertThat(envelope.at("/execution/fuel_consumed").asLong()).isPositive();
  }

  @Test
  void argumentsReachTheGuestAfterTheSeparatorAndFromAnArgsFile() throws IOException {
    CliRun run = CliRun.of("run", EXAMPLES.resolve("hello.wasm").toString(), "--json", "--", "Ada");
    assertThat(envelope(run).at("/result/name").asText()).isEqualTo("Ada");

    Path argsFile = Files.writeString(tmp.resolve("args.json"), "[\"Grace\", 2]");
    run =
        CliRun.of(
            "run",
            EXAMPLES.resolve("hello.wasm").toString(),
            "--args-file",
            argsFile.toString(),
            "--json");
    assertThat(envelope(run).at("/result/name").asText()).isEqualTo("Grace");
  }

  @Test
  void aFailedTaskExitsOneWithAOneLineReason() {
    CliRun run = CliRun.of("run", CORPUS.resolve("exit_3.wat").toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err().strip().lines())
        .as("the task's own stderr line, then the reason")
        .hasSize(2)
        .first()
        .isEqualTo("input was empty");
    assertThat(run.err()).contains("task_error").contains("code 3");
  }

  @Test
  void usageErrorsAndUnreadableFilesExitTwoWithoutAStackTrace() {
    for (String[] args :
        new String[][] {
          {"run", tmp.resolve("missing.wasm").toString(), "--json"},
          {"run", EXAMPLES.resolve("hello.wat").toString(), "--ram", "12XB"},
          {"run", EXAMPLES.resolve("hello.wat").toString(), "--compute", "EXTREME"},
          {"run", EXAMPLES.resolve("hello.wat").toString(), "--timeout", "soon"},
          {"run", EXAMPLES.resolve("hello.wat").toString(), "--max-retries", "-1"},
          {"run"}
        }) {
      CliRun run = CliRun.of(args);
      assertThat(run.exitCode()).as(String.join(" ", args)).isEqualTo(2);
      assertThat(run.out()).isEmpty();
      assertThat(run.err()).doesNotContain("\tat ").startsWith("capsule: ");
    }
  }

  @Test
  void invalidModuleIsAFailedEnvelopeNotAUsageError() throws IOException {
    Path garbage = Files.writeString(tmp.resolve("garbage.wasm"), "not wasm at all");
    CliRun run = CliRun.of("run", garbage.toString(), "--json");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(envelope(run).at("/error/error_type").asText()).isEqualTo("invalid_module");
  }

  @Test
  void limitFlagsApply() {
    CliRun run =
        CliRun.of(
            "run",
            CORPUS.resolve("spin_br_if.wat").toString(),
            "--timeout",
            "200ms",
            "--compute",
            "HIGH",
            "--json");
    assertThat(envelope(run).at("/error/error_type").asText()).isEqualTo("timeout");

    run = CliRun.of("run", CORPUS.resolve("memory_bomb.wat").toString(), "--ram", "1MB", "--json");
    JsonNode envelope = envelope(run);
    assertThat(envelope.at("/error/error_type").asText()).isEqualTo("memory_limit");
    assertThat(envelope.at("/execution/ram_used").asLong()).isLessThanOrEqualTo(1 << 20);

    run = CliRun.of("run", CORPUS.resolve("exit_3.wat").toString(), "--max-retries", "2", "--json");
    assertThat(envelope(run).at("/execution/retries").asInt()).isEqualTo(2);
  }

  @Test
  void capsuleTomlBesideTheTaskGivesDefaultsThatFlagsOverride() throws IOException {
    Files.copy(CORPUS.resolve("spin_br_if.wat"), tmp.resolve("spin.wat"));
    Files.writeString(
        tmp.resolve("capsule.toml"),
        "[tasks]\ndefault_timeout = \"300ms\"\ndefault_compute = \"high\"\n");
    String task = tmp.resolve("spin.wat").toString();

    assertThat(envelope(CliRun.of("run", task, "--json")).at("/error/message").asText())
        .contains("300ms");
    assertThat(
            envelope(CliRun.of("run", task, "--timeout", "150ms", "--json"))
                .at("/error/message")
                .asText())
        .contains("150ms");
  }

  @Test
  void verbosePrintsLiveTaskLinesOnStderrOnly() {
    CliRun run =
        CliRun.of(
            "run",
            CORPUS.resolve("exit_3.wat").toString(),
            "--verbose",
            "--json",
            "--max-retries",
            "1");
    assertThat(envelope(run).get("success").asBoolean()).isFalse();
    assertThat(run.err())
        .contains("▶ main")
        .contains("attempt 1 failed: task_error")
        .contains("✗ main failed");
  }

  @Test
  void buildWritesAnArtifactThatExecRunsWithItsBakedOptions() {
    Path artifact = tmp.resolve("spin.capsule");
    CliRun build =
        CliRun.of(
            "build",
            CORPUS.resolve("spin_br_if.wat").toString(),
            "--timeout",
            "250ms",
            "--compute",
            "HIGH",
            "-o",
            artifact.toString());
    assertThat(build.exitCode()).isZero();
    assertThat(build.out().strip()).isEqualTo(artifact.toString());

    CliRun exec = CliRun.of("exec", artifact.toString(), "--json");
    assertThat(envelope(exec).at("/error/message").asText()).contains("250ms");

    CliRun overridden = CliRun.of("exec", artifact.toString(), "--timeout", "100ms", "--json");
    assertThat(envelope(overridden).at("/error/message").asText()).contains("100ms");
  }
}
