package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.worker.WorkerConfig;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.junit.jupiter.api.Test;

/**
 * The classic group's session settings: short by default, so a killed worker's partitions move
 * within seconds (Kafka's 45 s default stopped output for minutes), the operator's when set, and
 * the lease's term derived from whichever applies.
 */
class GroupConsumerDefaultsTest {
  private static KafkaClients clients(Map<String, String> kafka) {
    return new KafkaClients(
        WorkerConfig.builder()
            .withBootstrapServers("localhost:9092")
            .withKafkaProperties(kafka)
            .build());
  }

  @Test
  void aWorkerLeavesTheGroupSixSecondsAfterItsLastHeartbeatByDefault() {
    KafkaClients clients = clients(Map.of());
    Map<String, Object> props = clients.groupConsumerProperties("g", "tasks");

    assertThat(props)
        .containsEntry(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6_000)
        .containsEntry(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_500);
    assertThat(clients.leaseTerm()).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void theOperatorsSessionTimeoutWinsAndSetsTheLeaseAndHeartbeat() {
    KafkaClients clients = clients(Map.of("session.timeout.ms", "4000"));
    Map<String, Object> props = clients.groupConsumerProperties("g", "tasks");

    assertThat(props.get(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG)).hasToString("4000");
    assertThat(props).containsEntry(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_000);
    assertThat(clients.leaseTerm()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void theConsumerProtocolGetsNoClientSessionSettingsAndAConservativeLease() {
    KafkaClients clients = clients(Map.of("group.protocol", "consumer"));
    Map<String, Object> props = clients.groupConsumerProperties("g", "tasks");

    assertThat(props)
        .doesNotContainKeys(
            ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG,
            ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
            ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG);
    assertThat(clients.leaseTerm()).isEqualTo(Duration.ofSeconds(3));
  }
}
