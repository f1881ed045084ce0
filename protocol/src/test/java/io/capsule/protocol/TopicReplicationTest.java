package io.capsule.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicReplicationTest {

  @Test
  void moreInSyncReplicasThanReplicasIsRefusedAsNoWriteCouldSucceed() {
    assertThatThrownBy(() -> new TopicReplication(2, 3))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("min.insync.replicas 3")
        .hasMessageContaining("2 replicas");
  }

  @Test
  void negativeAndOversizedSettingsAreRefused() {
    assertThatThrownBy(() -> new TopicReplication(-1, 0))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("replication factor");
    assertThatThrownBy(() -> new TopicReplication(40_000, 0))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("replication factor");
    assertThatThrownBy(() -> new TopicReplication(3, -2))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("min.insync.replicas");
  }

  @Test
  void minInsyncReplicasBecomesATopicConfigOnTopOfTheSpecsOwn() {
    TopicSpec results = Topics.DEFAULT.specs().get(3);
    Map<String, String> configs = results.configs(TopicReplication.SAFE);
    assertThat(configs)
        .containsEntry("min.insync.replicas", "2")
        .containsEntry("cleanup.policy", "delete");
    assertThat(results.configs(TopicReplication.BROKER_DEFAULT))
        .doesNotContainKey("min.insync.replicas");
  }
}
