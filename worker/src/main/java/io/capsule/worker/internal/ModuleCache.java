package io.capsule.worker.internal;

import io.capsule.protocol.BoundedMap;
import io.capsule.protocol.Sha256;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Module bytes by SHA-256, read on demand from the compacted, content-addressed modules topic and
 * kept in a bounded local cache. A miss reads the topic up to its current end; a record whose bytes
 * do not hash to its key is ignored.
 */
public final class ModuleCache implements AutoCloseable {
  private static final int MAX_MODULES = 256;
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

  private final Map<String, byte[]> modules = BoundedMap.leastRecentlyUsed(MAX_MODULES);
  private final Supplier<Consumer<String, byte[]>> consumers;
  private final String topic;
  private Consumer<String, byte[]> consumer;

  /** A cache over {@code topic}, opening a reader from {@code consumers} on the first miss. */
  public ModuleCache(Supplier<Consumer<String, byte[]>> consumers, String topic) {
    this.consumers = consumers;
    this.topic = topic;
  }

  /** The module with this hash, reading the topic if it is not cached. */
  public Optional<byte[]> get(String sha256) {
    byte[] cached = modules.get(sha256);
    if (cached != null) {
      return Optional.of(cached);
    }
    synchronized (this) {
      cached = modules.get(sha256);
      if (cached == null) {
        readTopic();
        cached = modules.get(sha256);
      }
    }
    return Optional.ofNullable(cached);
  }

  private void readTopic() {
    if (consumer == null) {
      consumer = consumers.get();
    }
    List<TopicPartition> partitions =
        consumer.partitionsFor(topic, READ_TIMEOUT).stream()
            .map(i -> new TopicPartition(topic, i.partition()))
            .collect(Collectors.toList());
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, READ_TIMEOUT);
    long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
    while (!reached(ends) && System.nanoTime() < deadline) {
      for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
        keep(record);
      }
    }
  }

  private boolean reached(Map<TopicPartition, Long> ends) {
    return ends.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
  }

  private void keep(ConsumerRecord<String, byte[]> record) {
    if (record.key() != null
        && record.value() != null
        && Sha256.hex(record.value()).equals(record.key())) {
      modules.put(record.key(), record.value());
    }
  }

  /** Closes the reader, if one was opened. */
  @Override
  public synchronized void close() {
    if (consumer != null) {
      consumer.close();
    }
  }
}
