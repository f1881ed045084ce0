package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.OperatorCeiling.OverCeiling;
import io.capsule.worker.ConsumptionMode;
import io.capsule.worker.WorkerConfig;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class WorkerCommandTest {
  @Test
  void flagsAndEnvironmentBecomeTheWorkerConfig() {
    WorkerCommand command = new WorkerCommand();
    new CommandLine(command)
        .parseArgs(
            "--bootstrap-servers", "k1:9092",
            "--levels", "low,HIGH",
            "--concurrency", "3",
            "--topic-prefix", "acme",
            "--memory-budget", "512MB",
            "--mode", "classic");
    WorkerConfig config =
        command.config(Map.of("CAPSULE_KAFKA_SECURITY_PROTOCOL", "SASL_SSL", "HOME", "/root"));

    assertThat(config.bootstrapServers()).isEqualTo("k1:9092");
    assertThat(config.levels()).isEqualTo(Set.of(ComputeLevel.LOW, ComputeLevel.HIGH));
    assertThat(config.concurrency()).isEqualTo(3);
    assertThat(config.topics().tasks(ComputeLevel.LOW)).isEqualTo("acme.tasks.low");
    assertThat(config.memoryBudget().bytes()).isEqualTo(512L << 20);
    assertThat(config.mode()).isEqualTo(ConsumptionMode.CLASSIC);
    assertThat(config.kafkaProperties()).containsEntry("security.protocol", "SASL_SSL");
    assertThat(config.kafkaProperties()).doesNotContainKey("home");
  }

  @Test
  void policyFlagsWinOverPolicyVariablesAndDefaultsGrantNothing() {
    WorkerCommand command = new WorkerCommand();
    new CommandLine(command)
        .parseArgs(
            "--bootstrap-servers", "k1:9092",
            "--allow-env", "GREETING",
            "--max-timeout", "1h",
            "--over-ceiling", "clamp",
            "--max-deliveries", "5");
    WorkerConfig config =
        command.config(
            Map.of("CAPSULE_POLICY_MAX_TIMEOUT", "2h", "CAPSULE_POLICY_MAX_RETRIES", "1"));

    assertThat(config.policy().envVariables()).containsExactly("GREETING");
    assertThat(config.policy().maxTimeout()).isEqualTo(Duration.ofHours(1));
    assertThat(config.policy().maxRetries()).isEqualTo(1);
    assertThat(config.policy().overCeiling()).isEqualTo(OverCeiling.CLAMP);
    assertThat(config.policy().filesRoot()).isNull();
    assertThat(config.maxDeliveries()).isEqualTo(5);
  }

  @Test
  void subTaskLimitFlagsWinOverTheirVariables() {
    WorkerCommand command = new WorkerCommand();
    new CommandLine(command)
        .parseArgs("--bootstrap-servers", "k1:9092", "--max-sub-task-depth", "1");
    WorkerConfig config =
        command.config(
            Map.of("CAPSULE_POLICY_MAX_SUB_TASKS", "8", "CAPSULE_POLICY_MAX_SUB_TASK_DEPTH", "3"));

    assertThat(config.policy().maxSubTasks()).isEqualTo(8);
    assertThat(config.policy().maxSubTaskDepth()).isEqualTo(1);
  }

  @Test
  void aWorkerVariableInTheAllowlistIsRefusedAtStart() {
    WorkerCommand command = new WorkerCommand();
    new CommandLine(command)
        .parseArgs(
            "--bootstrap-servers", "k1:9092", "--allow-env", "CAPSULE_KAFKA_SASL_JAAS_CONFIG");
    assertThatThrownBy(() -> command.config(Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CAPSULE_KAFKA_SASL_JAAS_CONFIG");
  }

  @Test
  void workerIsAListedSubcommand() {
    assertThat(Main.commandLine().getSubcommands()).containsKey("worker");
  }
}
