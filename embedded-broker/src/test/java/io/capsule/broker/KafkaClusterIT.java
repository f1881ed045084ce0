package io.capsule.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three KRaft nodes as separate processes: replication, a killed leader, restart, clean-up. */
class KafkaClusterIT {
  private static final Duration BOUND = Duration.ofSeconds(90);

  @Test
  void threeNodeProcessesReplicateThreeTimesAndSurviveAKilledLeader() throws Exception {
    Path dir;
    Set<Long> pids = new HashSet<>();
    try (KafkaCluster cluster = KafkaCluster.builder().build().start();
        Admin admin = TestClients.admin(cluster.bootstrapServers())) {
      dir = cluster.dataDir();
      cluster.nodeIds().forEach(id -> pids.add(cluster.pid(id)));
      assertThat(pids).hasSize(3).doesNotContain(ProcessHandle.current().pid());
      admin.createTopics(List.of(new NewTopic("replicated", 1, (short) -1))).all().get();
      TopicDescription topic = awaitTopic(admin, "replicated");
      assertThat(topic.partitions().get(0).replicas()).hasSize(3);
      assertThat(minInsync(admin, "replicated")).isEqualTo("2");

      int leader = topic.partitions().get(0).leader().id();
      cluster.kill(leader);
      assertThat(cluster.isRunning(leader)).isFalse();
      try (KafkaProducer<String, String> producer =
          TestClients.producer(cluster.bootstrapServers())) {
        producer.send(new ProducerRecord<>("replicated", "k", "v")).get(60, TimeUnit.SECONDS);
      }
      cluster.restart(leader);
      await()
          .atMost(BOUND)
          .until(() -> awaitTopic(admin, "replicated").partitions().get(0).isr().size() == 3);
    }
    assertThat(dir).doesNotExist();
    assertThat(pids).allSatisfy(pid -> assertThat(ProcessHandle.of(pid)).isEmpty());
  }

  @Test
  void aDataDirKeepsTopicsAndPortsAcrossRestarts(@TempDir Path dir) throws Exception {
    String servers;
    try (KafkaCluster cluster =
            KafkaCluster.builder().withNodes(1).withDataDir(dir).build().start();
        Admin admin = TestClients.admin(cluster.bootstrapServers())) {
      servers = cluster.bootstrapServers();
      TestClients.createTopic(admin, "kept", 1);
    }
    try (KafkaCluster cluster =
            KafkaCluster.builder().withNodes(1).withDataDir(dir).build().start();
        Admin admin = TestClients.admin(cluster.bootstrapServers())) {
      assertThat(cluster.bootstrapServers()).isEqualTo(servers);
      assertThat(admin.listTopics().names().get()).contains("kept");
    }
    assertThat(Files.list(dir).map(p -> p.getFileName().toString()))
        .contains("cluster.properties", "node-1");
  }

  private static TopicDescription awaitTopic(Admin admin, String name) {
    return await()
        .atMost(BOUND)
        .ignoreExceptions()
        .until(
            () -> admin.describeTopics(List.of(name)).allTopicNames().get().get(name),
            t -> t.partitions().get(0).leader() != null);
  }

  private static String minInsync(Admin admin, String topic) throws Exception {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    Map<ConfigResource, Config> configs = admin.describeConfigs(List.of(resource)).all().get();
    return configs.get(resource).get("min.insync.replicas").value();
  }
}
