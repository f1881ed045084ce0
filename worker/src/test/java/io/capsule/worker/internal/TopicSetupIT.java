package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.TopicSpec;
import io.capsule.protocol.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A worker creates the contract's topics from the contract's one list, settings included. */
@ExtendWith(KafkaBrokerExtension.class)
class TopicSetupIT {
  @Test
  void aWorkerCreatesItsLevelsAndEveryOtherContractTopicWithTheContractsSettings(
      @BootstrapServers String servers) throws Exception {
    Topics topics = new Topics("setup-it");
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", servers))) {
      TopicSetup.createMissing(admin, topics, Set.of(ComputeLevel.LOW));

      List<TopicSpec> expected =
          topics.specs().stream()
              .filter(s -> s.level() == null || s.level() == ComputeLevel.LOW)
              .collect(Collectors.toList());
      // created topics reach the broker's metadata a moment after the creation is acknowledged
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(admin.listTopics().names().get())
                      .containsAll(
                          expected.stream().map(TopicSpec::name).collect(Collectors.toList()))
                      .contains("setup-it.dlq.replayed"));
      assertThat(admin.listTopics().names().get()).doesNotContain(topics.tasks(ComputeLevel.HIGH));
      for (TopicSpec spec : expected) {
        Config config = configOf(admin, spec.name());
        spec.configs()
            .forEach(
                (name, value) ->
                    assertThat(config.get(name).value())
                        .as(spec.name() + " " + name)
                        .isEqualTo(value));
      }
      assertThat(configOf(admin, topics.modules()).get("max.message.bytes").value())
          .isEqualTo(
              Integer.toString(TopicSpec.MAX_MODULE_BYTES + TopicSpec.RECORD_OVERHEAD_BYTES));
    }
  }

  private static Config configOf(Admin admin, String topic) throws Exception {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    return admin.describeConfigs(List.of(resource)).values().get(resource).get();
  }
}
