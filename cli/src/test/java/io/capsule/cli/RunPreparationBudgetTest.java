package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.protocol.CapsuleJson;
import io.capsule.sandbox.WatAssembler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code capsule run} on text past preparation's budgets: a failed envelope, never a hang. */
class RunPreparationBudgetTest {
  @TempDir Path tmp;

  @Test
  void watOverTheSizeLimitIsAnInvalidModuleEnvelope() throws IOException {
    Path huge =
        Files.writeString(
            tmp.resolve("huge.wat"), "(module)" + " ".repeat(WatAssembler.MAX_TEXT_BYTES));

    CliRun run = CliRun.of("run", huge.toString(), "--json", "--timeout", "1s");

    assertThat(run.exitCode()).as(run.err()).isEqualTo(1);
    var envelope = CapsuleJson.readTree(run.out());
    assertThat(envelope.at("/error/error_type").asText()).isEqualTo("invalid_module");
    assertThat(envelope.at("/error/message").asText()).contains("-byte limit of WAT assembly");
  }
}
