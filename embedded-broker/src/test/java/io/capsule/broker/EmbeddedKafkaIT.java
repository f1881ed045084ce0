package io.capsule.broker;

import static io.capsule.broker.TestClients.POLL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Clients of every kind Capsule uses work against the shared embedded broker. */
@ExtendWith(KafkaBrokerExtension.class)
class EmbeddedKafkaIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void producedRecordIsConsumedBackWithKeyValueAndHeader(@BootstrapServers String servers)
      throws Exception {
    String topic = TestClients.unique("round-trip");
    try (Admin admin = TestClients.admin(servers)) {
      TestClients.createTopic(admin, topic, 1);
    }
    ProducerRecord<String, String> sent = new ProducerRecord<>(topic, "task-1", "{\"x\":1}");
    sent.headers().add("capsule-schema", "1".getBytes(StandardCharsets.UTF_8));
    try (KafkaProducer<String, String> producer = TestClients.producer(servers)) {
      producer.send(sent).get();
    }
    ConsumerRecord<String, String> received = readOne(servers, topic);
    assertThat(received.key()).isEqualTo("task-1");
    assertThat(received.value()).isEqualTo("{\"x\":1}");
    assertThat(received.headers().lastHeader("capsule-schema").value()).isEqualTo(new byte[] {'1'});
  }

  @Test
  void adminCreatesPlainAndCompactedTopics(@BootstrapServers String servers) throws Exception {
    String tasks = TestClients.unique("tasks");
    String events = TestClients.unique("events");
    NewTopic compacted =
        new NewTopic(events, 1, (short) 1).configs(Map.of("cleanup.policy", "compact"));
    try (Admin admin = TestClients.admin(servers)) {
      admin.createTopics(List.of(new NewTopic(tasks, 3, (short) 1), compacted)).all().get();
      assertThat(admin.listTopics().names().get()).contains(tasks, events);
      TopicDescription described =
          admin.describeTopics(List.of(tasks)).allTopicNames().get().get(tasks);
      assertThat(described.partitions()).hasSize(3);
      assertThat(cleanupPolicy(admin, events)).isEqualTo("compact");
    }
  }

  @Test
  void classicConsumerGroupCommitsOffsets(@BootstrapServers String servers) throws Exception {
    String topic = TestClients.unique("classic");
    String group = TestClients.unique("classic-group");
    TestClients.produce(servers, topic, 3);
    try (KafkaConsumer<String, String> consumer = TestClients.consumer(servers, group)) {
      consumer.subscribe(List.of(topic));
      List<ConsumerRecord<String, String>> received = new ArrayList<>();
      await().atMost(WAIT).pollInSameThread().until(() -> pollInto(consumer, received) >= 3);
      consumer.commitSync();
    }
    try (Admin admin = TestClients.admin(servers)) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      assertThat(committed.get(new TopicPartition(topic, 0)).offset()).isEqualTo(3L);
    }
  }

  @Test
  void shareGroupReceivesAndAcceptsRecords(@BootstrapServers String servers) throws Exception {
    String topic = TestClients.unique("share");
    String group = TestClients.unique("share-group");
    try (Admin admin = TestClients.admin(servers)) {
      TestClients.createTopic(admin, topic, 1);
      startShareGroupAtEarliest(admin, group);
    }
    TestClients.produce(servers, topic, 3);
    try (KafkaShareConsumer<String, String> consumer = TestClients.shareConsumer(servers, group)) {
      consumer.subscribe(List.of(topic));
      List<String> values = new ArrayList<>();
      await().atMost(WAIT).pollInSameThread().until(() -> acceptInto(consumer, values) >= 3);
      Map<TopicIdPartition, Optional<KafkaException>> results = consumer.commitSync();
      assertThat(results.values()).allSatisfy(error -> assertThat(error).isEmpty());
      assertThat(values).containsExactly("v0", "v1", "v2");
    }
    try (Admin admin = TestClients.admin(servers)) {
      // Accepted records leave no lag; the persisted start offset may stay behind until the next
      // state snapshot, so it is not what shows acceptance.
      await().atMost(WAIT).until(() -> shareLag(admin, group, topic).equals(Optional.of(0L)));
    }
  }

  private static ConsumerRecord<String, String> readOne(String servers, String topic) {
    try (KafkaConsumer<String, String> consumer =
        TestClients.consumer(servers, TestClients.unique("reader"))) {
      consumer.subscribe(List.of(topic));
      List<ConsumerRecord<String, String>> received = new ArrayList<>();
      await().atMost(WAIT).pollInSameThread().until(() -> pollInto(consumer, received) >= 1);
      return received.get(0);
    }
  }

  private static int pollInto(
      KafkaConsumer<String, String> consumer, List<ConsumerRecord<String, String>> received) {
    consumer.poll(POLL).forEach(received::add);
    return received.size();
  }

  private static int acceptInto(KafkaShareConsumer<String, String> consumer, List<String> values) {
    for (ConsumerRecord<String, String> record : consumer.poll(POLL)) {
      consumer.acknowledge(record, AcknowledgeType.ACCEPT);
      values.add(record.value());
    }
    return values.size();
  }

  private static void startShareGroupAtEarliest(Admin admin, String group) throws Exception {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
    AlterConfigOp earliest =
        new AlterConfigOp(
            new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET);
    admin.incrementalAlterConfigs(Map.of(resource, List.of(earliest))).all().get();
  }

  private static Optional<Long> shareLag(Admin admin, String group, String topic) throws Exception {
    Map<TopicPartition, SharePartitionOffsetInfo> offsets =
        admin
            .listShareGroupOffsets(Map.of(group, new ListShareGroupOffsetsSpec()))
            .partitionsToOffsetInfo(group)
            .get();
    SharePartitionOffsetInfo info = offsets.get(new TopicPartition(topic, 0));
    return info == null ? Optional.empty() : info.lag();
  }

  private static String cleanupPolicy(Admin admin, String topic) throws Exception {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    return admin
        .describeConfigs(List.of(resource))
        .all()
        .get()
        .get(resource)
        .get("cleanup.policy")
        .value();
  }
}
