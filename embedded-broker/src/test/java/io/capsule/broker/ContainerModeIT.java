package io.capsule.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs in both modes of the shared extension: on the embedded broker by default, and on the
 * official apache/kafka image with {@code -Dcapsule.it.kafka=container} (skipped without Docker).
 */
@ExtendWith(KafkaBrokerExtension.class)
class ContainerModeIT {

  @Test
  void theSharedBrokerAcceptsAdminRequestsInEitherMode(@BootstrapServers String servers)
      throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers))) {
      String topic = "container-mode-probe-" + java.util.UUID.randomUUID();
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
      await()
          .atMost(java.time.Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(admin.listTopics().names().get()).contains(topic));
      assertThat(admin.describeCluster().nodes().get(30, java.util.concurrent.TimeUnit.SECONDS))
          .isNotEmpty();
    }
  }
}
