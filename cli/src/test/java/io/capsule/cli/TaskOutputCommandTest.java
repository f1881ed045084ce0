package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.CapsuleJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code capsule run}: the task's own output goes to stderr as it is written, with or without
 * {@code --json} and {@code --verbose}, and never to stdout; a script that does not parse (in any
 * script language) is an {@code invalid_module} envelope naming file and line, exit 1.
 */
class TaskOutputCommandTest {
  @TempDir Path tmp;

  private static JsonNode envelope(CliRun run) {
    assertThat(run.out().lines()).as(run.err()).hasSize(1);
    return CapsuleJson.readTree(run.out());
  }

  @Test
  void theTasksLogLinesGoToStderrAndJsonStdoutHoldsOnlyTheEnvelope() throws IOException {
    Path file =
        Files.writeString(
            tmp.resolve("chatty.js"),
            """
            import { task } from "@capsule-run/sdk";

            export const main = task({ name: "main" }, () => {
              console.log("step 1 of 2");
              console.error("step 2 of 2");
              return "done";
            });
            """);
    CliRun run = CliRun.of("run", file.toString(), "--json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(envelope(run).get("result").asText()).isEqualTo("done");
    assertThat(run.err().lines()).containsSubsequence("step 1 of 2", "step 2 of 2");
    assertThat(run.out().lines()).noneMatch(line -> line.startsWith("step"));

    CliRun plain = CliRun.of("run", file.toString());
    assertThat(plain.out().strip()).isEqualTo("\"done\"");
    assertThat(plain.err().lines()).containsSubsequence("step 1 of 2", "step 2 of 2");
  }

  @Test
  void anUncaughtErrorNamesFileAndLineAndItsStackIsShown() throws IOException {
    Path file =
        Files.writeString(
            tmp.resolve("fails.js"),
            """
            import { task } from "@capsule-run/sdk";

            export const main = task({ name: "main" }, () => {
              throw new TypeError("no input today");
            });
            """);
    CliRun run = CliRun.of("run", file.toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err())
        .contains("fails.js:4")
        .endsWith("✗ main failed: task_error: fails.js:4: TypeError: no input today\n");
  }

  @Test
  void aTypeScriptSyntaxErrorIsAnInvalidModuleEnvelopeUnderJson() throws IOException {
    Path file =
        Files.writeString(
            tmp.resolve("broken.ts"),
            """
            import { task } from "@capsule-run/sdk";

            export const main = task({ name: "main" }, (): string => {
              return "unclosed;
            });
            """);
    CliRun run = CliRun.of("run", file.toString(), "--json");
    assertThat(run.exitCode()).as(run.err()).isEqualTo(1);
    JsonNode envelope = envelope(run);
    assertThat(envelope.at("/error/error_type").asText()).isEqualTo("invalid_module");
    assertThat(envelope.at("/error/message").asText()).startsWith("broken.ts:4: SyntaxError: ");
  }

  @Test
  void aJavaScriptSyntaxErrorIsAnInvalidModuleEnvelopeUnderJson() throws IOException {
    Path file =
        Files.writeString(
            tmp.resolve("broken.js"),
            """
            import { task } from "@capsule-run/sdk";

            export const main = task({ name: "main", max_retries: 3 }, () => {
              return [1, 2;
            });
            """);
    CliRun run = CliRun.of("run", file.toString(), "--json");
    assertThat(run.exitCode()).as(run.err()).isEqualTo(1);
    JsonNode envelope = envelope(run);
    assertThat(envelope.at("/error/error_type").asText()).isEqualTo("invalid_module");
    assertThat(envelope.at("/error/message").asText()).startsWith("broken.js:4: SyntaxError");
    assertThat(envelope.at("/execution/retries").asInt()).isZero();
  }
}
