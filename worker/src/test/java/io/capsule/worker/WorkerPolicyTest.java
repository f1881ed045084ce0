package io.capsule.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capsule.protocol.ByteSize;
import io.capsule.protocol.Compute;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.OperatorCeiling.OverCeiling;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerPolicyTest {
  private static final Map<String, String> ENV =
      Map.of(
          "CAPSULE_KAFKA_SASL_JAAS_CONFIG",
              "org.apache.kafka...PlainLoginModule password=\"s3cr3t-pw\";",
          "DB_PASSWORD", "planted-db-secret",
          "GREETING", "hello");

  @Test
  void defaultsGrantNoVariablesNoFilesPublicHostsAndBoundTimeouts() {
    OperatorCeiling ceiling =
        WorkerPolicy.DEFAULT.ceiling(Set.of(ComputeLevel.LOW), ByteSize.parse("1GB"));

    assertThat(ceiling.envVariables()).isEmpty();
    assertThat(ceiling.allowedFiles()).isEmpty();
    assertThat(ceiling.allowedHosts()).containsExactly("*");
    assertThat(ceiling.maxTimeout()).isEqualTo(Duration.ofMinutes(15));
    assertThat(ceiling.maxCompute()).isEqualTo(Compute.of(ComputeLevel.LOW));
    assertThat(ceiling.maxRam()).isEqualTo(ByteSize.parse("1GB"));
    assertThat(ceiling.maxRetries()).isEqualTo(5);
    assertThat(ceiling.overCeiling()).isEqualTo(OverCeiling.REJECT);
    assertThat(WorkerPolicy.DEFAULT.defaultTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(WorkerPolicy.DEFAULT.taskEnvironment(ENV)).isEmpty();
  }

  @Test
  void maxComputeDefaultsToTheHighestLevelConsumed() {
    OperatorCeiling ceiling =
        WorkerPolicy.DEFAULT.ceiling(
            Set.of(ComputeLevel.LOW, ComputeLevel.MEDIUM), ByteSize.parse("1GB"));
    assertThat(ceiling.maxCompute()).isEqualTo(Compute.of(ComputeLevel.MEDIUM));
  }

  @Test
  void taskEnvironmentHoldsOnlyTheAllowlistedVariables() {
    WorkerPolicy policy =
        WorkerPolicy.builder().withEnvVariables(List.of("GREETING", "ABSENT")).build();
    assertThat(policy.taskEnvironment(ENV)).containsExactly(Map.entry("GREETING", "hello"));
  }

  @Test
  void capsuleVariablesAreRefusedInTheAllowlistWhateverTheirCase() {
    WorkerPolicy.Builder builder = WorkerPolicy.builder();
    assertThatThrownBy(() -> builder.withEnvVariables(List.of("GREETING", "capsule_kafka_x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("capsule_kafka_x")
        .hasMessageContaining("CAPSULE_*");
    assertThatThrownBy(
            () ->
                WorkerPolicy.builder()
                    .withEnvironmentSettings(
                        Map.of("CAPSULE_POLICY_ENV_VARIABLES", "CAPSULE_KAFKA_SASL_JAAS_CONFIG")))
        .hasMessageContaining("CAPSULE_KAFKA_SASL_JAAS_CONFIG");
  }

  @Test
  void aVariableHoldingTheWorkersKafkaCredentialIsRefusedAtStart() {
    Map<String, String> env = Map.of("KAFKA_PW", "s3cr3t-pw", "GREETING", "hello");
    WorkerConfig.Builder config =
        WorkerConfig.builder()
            .withBootstrapServers("k:9092")
            .withEnvironment(env)
            .withKafkaProperties(WorkerConfig.kafkaPropertiesFromEnvironment(ENV))
            .withPolicy(
                WorkerPolicy.builder().withEnvVariables(List.of("GREETING", "KAFKA_PW")).build());
    assertThatThrownBy(config::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("KAFKA_PW")
        .hasMessageContaining("sasl.jaas.config");
  }

  @Test
  void defaultTimeoutAboveTheMaximumIsRefused() {
    WorkerPolicy.Builder builder =
        WorkerPolicy.builder()
            .withMaxTimeout(Duration.ofMinutes(1))
            .withDefaultTimeout(Duration.ofMinutes(2));
    assertThatThrownBy(builder::build).hasMessageContaining("exceeds the maximum timeout");
    assertThat(
            WorkerPolicy.builder().withMaxTimeout(Duration.ofMinutes(1)).build().defaultTimeout())
        .as("an unset default follows a shorter maximum")
        .isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void filesRootIsAnExistingDirectoryWithItsMode(@TempDir Path dir) {
    WorkerPolicy policy =
        WorkerPolicy.builder()
            .withFilesRoot(io.capsule.protocol.FileGrant.parse(dir + ":ro"))
            .build();
    assertThat(policy.filesRoot().path()).isEqualTo(dir.toAbsolutePath().toString());
    assertThat(policy.filesRoot().readOnly()).isTrue();
    assertThatThrownBy(
            () ->
                WorkerPolicy.builder()
                    .withFilesRoot(
                        io.capsule.protocol.FileGrant.parse(dir.resolve("nope").toString())))
        .hasMessageContaining("not a directory");
  }

  @Test
  void environmentVariablesSetThePolicyAndFlagsWin(@TempDir Path dir) {
    Map<String, String> env =
        Map.of(
            "CAPSULE_POLICY_ENV_VARIABLES", "GREETING, LANG",
            "CAPSULE_POLICY_FILES_ROOT", dir.toString(),
            "CAPSULE_POLICY_ALLOWED_HOSTS", "api.example.com,169.254.169.254",
            "CAPSULE_POLICY_MAX_TIMEOUT", "1h",
            "CAPSULE_POLICY_DEFAULT_TIMEOUT", "10m",
            "CAPSULE_POLICY_MAX_COMPUTE", "medium",
            "CAPSULE_POLICY_MAX_RAM", "128MB",
            "CAPSULE_POLICY_MAX_RETRIES", "2",
            "CAPSULE_POLICY_OVER_CEILING", "clamp");
    WorkerConfig config =
        WorkerMain.parse(
            new String[] {
              "--bootstrap-servers", "k:9092", "--max-timeout", "30m", "--max-deliveries", "4"
            },
            env);
    WorkerPolicy policy = config.policy();

    assertThat(policy.envVariables()).containsExactly("GREETING", "LANG");
    assertThat(policy.filesRoot().path()).isEqualTo(dir.toAbsolutePath().toString());
    assertThat(policy.allowedHosts()).containsExactly("api.example.com", "169.254.169.254");
    assertThat(policy.maxTimeout()).isEqualTo(Duration.ofMinutes(30));
    assertThat(config.defaultTimeout()).isEqualTo(Duration.ofMinutes(10));
    assertThat(policy.maxCompute()).isEqualTo(Compute.of(ComputeLevel.MEDIUM));
    assertThat(policy.maxRam()).isEqualTo(ByteSize.parse("128MB"));
    assertThat(policy.maxRetries()).isEqualTo(2);
    assertThat(policy.overCeiling()).isEqualTo(OverCeiling.CLAMP);
    assertThat(config.maxDeliveries()).isEqualTo(4);
  }

  @Test
  void anUnknownPolicyVariableIsRefusedRatherThanIgnored() {
    assertThatThrownBy(
            () ->
                WorkerPolicy.builder()
                    .withEnvironmentSettings(Map.of("CAPSULE_POLICY_MAX_TIMEOUTS", "1h")))
        .hasMessageContaining("CAPSULE_POLICY_MAX_TIMEOUTS");
  }

  @Test
  void subTaskLimitsDefaultAsLocallyAndComeFromTheEnvironment() {
    assertThat(WorkerPolicy.DEFAULT.maxSubTasks()).isEqualTo(64);
    assertThat(WorkerPolicy.DEFAULT.maxSubTaskDepth()).isEqualTo(4);
    WorkerPolicy policy =
        WorkerPolicy.builder()
            .withEnvironmentSettings(
                Map.of(
                    "CAPSULE_POLICY_MAX_SUB_TASKS", "10",
                    "CAPSULE_POLICY_MAX_SUB_TASK_DEPTH", "0"))
            .build();
    assertThat(policy.maxSubTasks()).isEqualTo(10);
    assertThat(policy.maxSubTaskDepth()).isZero();
    assertThatThrownBy(() -> WorkerPolicy.builder().withMaxSubTaskDepth(-1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
