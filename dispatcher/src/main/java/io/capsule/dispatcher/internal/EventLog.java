package io.capsule.dispatcher.internal;

import io.capsule.dispatcher.FleetConnection;
import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.LifecycleEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;

/**
 * Reads a task's latest lifecycle event from the compacted events topic: only the partition its key
 * hashes to (Kafka's default partitioner), from the beginning to the current end. Compaction keeps
 * that partition to about one record per task; the read needs no state, so it works after any
 * restart.
 */
public final class EventLog {
  private final FleetConnection connection;
  private final Duration timeout;

  /** Reads the events topic of a connection, giving up after {@code timeout}. */
  public EventLog(FleetConnection connection, Duration timeout) {
    this.connection = connection;
    this.timeout = timeout;
  }

  /** The latest event of a task, or empty when there is none. */
  public Optional<LifecycleEvent> latest(String taskId) {
    try (var consumer =
        new KafkaConsumer<String, byte[]>(KafkaSettings.reader(connection, "status"))) {
      List<TopicPartition> all = TopicScan.partitions(consumer, connection.topics().events());
      TopicPartition partition = all.get(partitionFor(taskId, all.size()));
      AtomicReference<LifecycleEvent> latest = new AtomicReference<>();
      TopicScan.scan(consumer, List.of(partition), timeout, r -> keep(r, taskId, latest));
      return Optional.ofNullable(latest.get());
    }
  }

  /** The partition Kafka's default partitioner picks for a string key. */
  static int partitionFor(String key, int partitions) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  private static void keep(
      ConsumerRecord<String, byte[]> record,
      String taskId,
      AtomicReference<LifecycleEvent> latest) {
    if (!taskId.equals(record.key())) {
      return;
    }
    if (record.value() == null) {
      latest.set(null); // a tombstone deletes the task's history
      return;
    }
    parse(record.value()).ifPresent(latest::set);
  }

  /** Parses an event; an unreadable one is skipped rather than failing the whole read. */
  public static Optional<LifecycleEvent> parse(byte[] value) {
    try {
      return Optional.of(
          CapsuleJson.read(new String(value, StandardCharsets.UTF_8), LifecycleEvent.class));
    } catch (CapsuleException | IllegalArgumentException | NullPointerException e) {
      return Optional.empty();
    }
  }
}
