package io.capsule.broker;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Kafka clients with string keys and values, configured for tests against one broker. */
final class TestClients {
  static final Duration POLL = Duration.ofMillis(200);

  private TestClients() {}

  /** A name no other test uses, so tests can share one broker. */
  static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID();
  }

  static Admin admin(String servers) {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers));
  }

  static KafkaProducer<String, String> producer(String servers) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            servers,
            ProducerConfig.ACKS_CONFIG,
            "all",
            ProducerConfig.LINGER_MS_CONFIG,
            0),
        new StringSerializer(),
        new StringSerializer());
  }

  /** A classic consumer that starts from the earliest offset and commits only when told. */
  static KafkaConsumer<String, String> consumer(String servers, String group) {
    return new KafkaConsumer<>(
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            servers,
            ConsumerConfig.GROUP_ID_CONFIG,
            group,
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            false),
        new StringDeserializer(),
        new StringDeserializer());
  }

  /** A share consumer that acknowledges each record explicitly. */
  static KafkaShareConsumer<String, String> shareConsumer(String servers, String group) {
    return new KafkaShareConsumer<>(
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            servers,
            ConsumerConfig.GROUP_ID_CONFIG,
            group,
            "share.acknowledgement.mode",
            "explicit"),
        new StringDeserializer(),
        new StringDeserializer());
  }

  static void createTopic(Admin admin, String topic, int partitions) throws Exception {
    admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
  }

  /** Produces {@code count} records keyed {@code k0..} with values {@code v0..}, acked by all. */
  static void produce(String servers, String topic, int count)
      throws InterruptedException, ExecutionException {
    try (KafkaProducer<String, String> producer = producer(servers)) {
      for (int i = 0; i < count; i++) {
        producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i)).get();
      }
    }
  }
}
