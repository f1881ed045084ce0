package io.capsule.worker.internal;

import io.capsule.worker.WorkerConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Makes the worker's Kafka clients: the user's properties first (security, timeouts...), then the
 * settings the worker's guarantees depend on, which always win.
 */
public final class KafkaClients {
  private static final int BATCH_FETCH_BYTES = 256 * 1024;

  /** The output producer's {@code linger.ms}. */
  public static final int LINGER_MS = 2;

  private final WorkerConfig config;

  /** Clients for this worker. */
  public KafkaClients(WorkerConfig config) {
    this.config = config;
  }

  private Map<String, Object> base(String clientSuffix) {
    Map<String, Object> props = new HashMap<>(config.kafkaProperties());
    if (config.bootstrapServers() != null) {
      props.put("bootstrap.servers", config.bootstrapServers());
    }
    props.put("client.id", config.workerId() + "-" + clientSuffix);
    return props;
  }

  /** The idempotent producer every output goes through. */
  public KafkaProducer<String, byte[]> producer() {
    Map<String, Object> props = base("producer");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, LINGER_MS);
    // KAFKA-14359: with several requests in flight, an idempotent producer whose first request
    // timed out (seen under heavy CPU load) can retry OUT_OF_ORDER_SEQUENCE_NUMBER until the
    // delivery timeout. One in flight avoids it; batches grow while it waits instead.
    props.putIfAbsent(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
  }

  /** A consumer in {@code groupId} that commits only what the worker tells it to. */
  public KafkaConsumer<String, byte[]> groupConsumer(String groupId, String clientSuffix) {
    Map<String, Object> props = base(clientSuffix);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // KIP-848 groups (group.protocol=consumer) assign on the broker and refuse a client assignor.
    if (!"consumer".equalsIgnoreCase(String.valueOf(props.get("group.protocol")))) {
      props.putIfAbsent(
          ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
          CooperativeStickyAssignor.class.getName());
    }
    return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * A share-group consumer with explicit acknowledgement that acquires one record at a time, so a
   * long task never holds up records behind it.
   */
  public KafkaShareConsumer<String, byte[]> shareConsumer(String groupId, String clientSuffix) {
    Map<String, Object> props = base(clientSuffix);
    props
        .keySet()
        .removeIf(k -> k.startsWith("partition.assignment") || k.equals("group.protocol"));
    props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    props.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
    props.put(ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, "record_limit");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
    props.remove(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG);
    props.remove(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG);
    return new KafkaShareConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /** A group-less consumer for reading compacted topics by assignment. */
  public KafkaConsumer<String, byte[]> reader(String clientSuffix) {
    Map<String, Object> props = base(clientSuffix);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    props.remove("group.protocol");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * A group-less reader that fetches in batches (up to {@code maxWait} late) instead of as soon as
   * one record arrives: for topics read whole where a little delay costs nothing (the ledger), it
   * cuts the fetch requests that the broker and this worker handle.
   */
  public KafkaConsumer<String, byte[]> batchedReader(String clientSuffix, Duration maxWait) {
    Map<String, Object> props = base(clientSuffix);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    props.remove("group.protocol");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, BATCH_FETCH_BYTES);
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, (int) maxWait.toMillis());
    return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /** An admin client (topic creation, offsets). */
  public Admin admin() {
    Map<String, Object> props = base("admin");
    props.keySet().removeIf(k -> k.startsWith("group.") || k.startsWith("partition.assignment"));
    return Admin.create(props);
  }
}
