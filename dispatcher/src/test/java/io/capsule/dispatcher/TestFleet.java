package io.capsule.dispatcher;

import io.capsule.dispatcher.internal.KafkaSettings;
import io.capsule.dispatcher.internal.TopicScan;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.Execution;
import io.capsule.protocol.ResultEnvelope;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Fresh contract topics under a unique prefix on the shared broker, and raw topic access. */
final class TestFleet {
  private TestFleet() {}

  /** A connection whose contract topics (3 partitions each) were just created. */
  static FleetConnection fresh(String servers) {
    String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
    FleetConnection connection = FleetConnection.of(servers).withTopicPrefix(prefix);
    try (TopicAdmin admin = TopicAdmin.connect(connection)) {
      admin.create(3, Optional.empty());
    }
    return connection;
  }

  /** Every record of a topic, now. */
  static List<ConsumerRecord<String, byte[]>> records(FleetConnection connection, String topic) {
    List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
    try (var consumer =
        new KafkaConsumer<String, byte[]>(KafkaSettings.reader(connection, "test"))) {
      TopicScan.scan(
          consumer, TopicScan.partitions(consumer, topic), Duration.ofSeconds(20), records::add);
    }
    return records;
  }

  /** The value of a record as text. */
  static String text(ConsumerRecord<String, byte[]> record) {
    return new String(record.value(), StandardCharsets.UTF_8);
  }

  /** Produces one JSON record and waits for it. */
  static void produce(FleetConnection connection, String topic, String key, Object value) {
    try (var producer =
        new KafkaProducer<String, byte[]>(KafkaSettings.producer(connection, "test"))) {
      byte[] bytes =
          value instanceof byte[] b ? b : CapsuleJson.write(value).getBytes(StandardCharsets.UTF_8);
      producer.send(new ProducerRecord<>(topic, key, bytes)).get();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** A successful envelope as a worker would publish it. */
  static ResultEnvelope success(String taskId, String result) {
    return ResultEnvelope.success(
            CapsuleJson.readTree(result), new Execution("main", 3, 0, 42, 65536, List.of()))
        .withTask(taskId, 1, "fake-worker");
  }
}
