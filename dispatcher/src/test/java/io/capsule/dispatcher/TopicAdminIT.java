package io.capsule.dispatcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaBrokerExtension.class)
class TopicAdminIT {
  @Test
  void createsTheContractTopicsOnceWithCompactionWhereTheContractSaysSo(
      @BootstrapServers String servers) {
    FleetConnection fleet = FleetConnection.of(servers).withTopicPrefix("admin-it");
    try (TopicAdmin admin = TopicAdmin.connect(fleet)) {
      assertThat(admin.describe()).noneMatch(TopicAdmin.TopicStatus::exists);
      var created = admin.create(2, Optional.empty());
      assertThat(created).hasSize(9).allMatch(TopicAdmin.TopicStatus::created);
      assertThat(created).allMatch(s -> s.partitions() == 2 && s.replicationFactor() == 1);
      var again = admin.create(4, Optional.empty());
      assertThat(again).noneMatch(TopicAdmin.TopicStatus::created);
      assertThat(again).allMatch(s -> s.partitions() == 2);
      var byName = admin.describe();
      assertThat(policy(byName, "admin-it.events")).isEqualTo("compact");
      assertThat(policy(byName, "admin-it.modules")).isEqualTo("compact");
      assertThat(policy(byName, "admin-it.tasks.low")).isEqualTo("delete");
    }
  }

  private static String policy(java.util.List<TopicAdmin.TopicStatus> statuses, String name) {
    return statuses.stream()
        .filter(s -> s.name().equals(name))
        .findFirst()
        .orElseThrow()
        .configs()
        .get("cleanup.policy");
  }
}
