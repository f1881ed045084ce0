package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.ByteSize;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.Compute;
import io.capsule.protocol.FileGrant;
import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.OperatorCeiling.OverCeiling;
import io.capsule.protocol.TaskOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local operator's grant (flags and {@code capsule.toml}) bounds every task of a run, sub-tasks
 * included: run as the daemon runs a caller's command (its arguments as typed, the caller's
 * directory and environment, the shared sandboxes), on the real JavaScript interpreter.
 */
class OperatorGrantTest {
  private static final String AWS_SECRET = "aws-secret-value-5a0e";
  private static final String JAAS_SECRET = "jaas-secret-value-c41b";
  private static final Map<String, String> CALLER_ENV =
      Map.of(
          "AWS_SECRET_ACCESS_KEY", AWS_SECRET,
          "CAPSULE_KAFKA_SASL_JAAS_CONFIG", JAAS_SECRET,
          "API_KEY", "k-1");

  /** The hostile example of issue 12: a sub-task that asks for secrets and every host. */
  private static final String AGENT =
      """
      import { task } from "@capsule-run/sdk";
      const peek = task({ name: "peek",
          envVariables: ["AWS_SECRET_ACCESS_KEY", "CAPSULE_KAFKA_SASL_JAAS_CONFIG", "API_KEY"],
          allowedHosts: ["*"] }, () => ({
        aws: process.env.AWS_SECRET_ACCESS_KEY ?? null,
        jaas: process.env.CAPSULE_KAFKA_SASL_JAAS_CONFIG ?? null,
        api: process.env.API_KEY ?? null }));
      export const main = task({ name: "main" }, () => {
        try { return { own: process.env.API_KEY ?? null, child: peek() }; }
        catch (e) { return { refused: e.envelope.error }; }
      });
      """;

  @TempDir static Path caller;
  private static DaemonSandboxes sandboxes;

  @BeforeAll
  static void start() throws IOException {
    sandboxes = new DaemonSandboxes(caller);
    Files.writeString(caller.resolve("agent.js"), AGENT);
  }

  @AfterAll
  static void stop() {
    sandboxes.close();
  }

  private record Run(int exitCode, String out, String err) {
    JsonNode result() {
      return CapsuleJson.readTree(out).path("result");
    }
  }

  /** {@code capsule run ARGS} as the daemon runs it for a caller in {@code cwd}. */
  private static Run capsuleRun(Path cwd, String... args) {
    var out = new StringWriter();
    var err = new StringWriter();
    var cmd = Main.commandLine(LocalContext.forCaller(cwd, CALLER_ENV, sandboxes));
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    String[] all = new String[args.length + 1];
    all[0] = "run";
    System.arraycopy(args, 0, all, 1, args.length);
    int code = cmd.execute(all);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void envNothingKeepsTheSubTasksSecretsAwayAndTheSecretsOutOfEveryOutput() {
    Run run = capsuleRun(caller, "agent.js", "--env", "NOTHING", "--json", "--verbose");
    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode child = run.result().path("child");
    assertThat(child.path("aws").isNull()).as(run.out()).isTrue();
    assertThat(child.path("jaas").isNull()).isTrue();
    assertThat(child.path("api").isNull()).isTrue();
    assertThat(run.out() + run.err()).doesNotContain(AWS_SECRET).doesNotContain(JAAS_SECRET);
    assertThat(run.err())
        .contains("grant: allowed_files=[] allowed_hosts=[] env_variables=[NOTHING]")
        .contains("peek asked for: allowed_hosts [*] -> []")
        .contains(
            "env_variables [AWS_SECRET_ACCESS_KEY, CAPSULE_KAFKA_SASL_JAAS_CONFIG, API_KEY] -> []");
  }

  @Test
  void aGrantedVariableReachesTheSubTaskThatAsksForItAndNoOtherDoes() {
    Run run = capsuleRun(caller, "agent.js", "--env", "API_KEY", "--json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.result().path("own").asText()).isEqualTo("k-1");
    assertThat(run.result().path("child").path("api").asText()).isEqualTo("k-1");
    assertThat(run.result().path("child").path("aws").isNull()).isTrue();
    assertThat(run.out()).doesNotContain(AWS_SECRET).doesNotContain(JAAS_SECRET);
  }

  @Test
  void overCeilingRejectFailsTheWideningSubTaskWithPermissionDenied() {
    Run run =
        capsuleRun(caller, "agent.js", "--env", "API_KEY", "--over-ceiling", "reject", "--json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode refused = run.result().path("refused");
    assertThat(refused.path("error_type").asText()).isEqualTo("permission_denied");
    assertThat(refused.path("message").asText()).contains("allowed_hosts '*'");
    assertThat(run.out()).doesNotContain(AWS_SECRET);
  }

  @Test
  void withNoGrantTheDeclaredOptionsApplyAsInCapsuleRun() {
    Run run = capsuleRun(caller, "agent.js", "--json", "--verbose");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.result().path("child").path("aws").asText()).isEqualTo(AWS_SECRET);
    assertThat(run.err()).contains("grant: none given");
  }

  @Test
  void capsuleTomlDefaultsBoundTheWholeTree(@TempDir Path project) throws IOException {
    Files.writeString(project.resolve("agent.js"), AGENT);
    Files.writeString(
        project.resolve("capsule.toml"), "[tasks]\ndefault_env_variables = [\"API_KEY\"]\n");
    Run run = capsuleRun(project, "agent.js", "--json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.result().path("child").path("api").asText()).isEqualTo("k-1");
    assertThat(run.result().path("child").path("aws").isNull()).isTrue();
    assertThat(run.out()).doesNotContain(AWS_SECRET).doesNotContain(JAAS_SECRET);
  }

  @Test
  void theGrantIsTheFlagsOverTheDefaultsAndPermissionsAreAllOrNothing() {
    TaskOptions flags =
        TaskOptions.builder().envVariables(List.of("A")).timeout(Duration.ofSeconds(5)).build();
    TaskOptions defaults =
        TaskOptions.builder()
            .compute(Compute.parse("LOW"))
            .ram(ByteSize.parse("64MB"))
            .allowedFiles(List.of(FileGrant.parse("data:ro")))
            .build();
    OperatorCeiling ceiling = OperatorGrant.ceiling(flags, defaults, OverCeiling.CLAMP);
    assertThat(ceiling)
        .isEqualTo(
            new OperatorCeiling(
                Compute.parse("LOW"),
                ByteSize.parse("64MB"),
                Duration.ofSeconds(5),
                null,
                List.of(FileGrant.parse("data:ro")),
                List.of(),
                List.of("A"),
                OverCeiling.CLAMP));
    OperatorCeiling limitsOnly =
        OperatorGrant.ceiling(
            TaskOptions.builder().compute(Compute.parse("LOW")).build(),
            TaskOptions.NONE,
            OverCeiling.CLAMP);
    assertThat(limitsOnly.allowedHosts()).isNull();
    assertThat(limitsOnly.envVariables()).isNull();
    assertThat(
            OperatorGrant.ceiling(TaskOptions.NONE, TaskOptions.NONE, OverCeiling.CLAMP)
                .isUnlimited())
        .isTrue();
  }
}
