package io.capsule.dispatcher.internal;

import io.capsule.dispatcher.DispatcherException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads partitions from their beginning up to the end offsets seen when the scan starts, with a
 * group-less consumer: how compacted topics (events, replay markers) and the dead-letter topic are
 * read without committing anything.
 */
public final class TopicScan {
  private static final Duration POLL = Duration.ofMillis(200);

  private TopicScan() {}

  /** The partitions of a topic, or an exception naming the missing topic. */
  public static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic) {
    // A topic created a moment ago may not be in the broker's metadata yet: ask a few times.
    List<PartitionInfo> infos = List.of();
    for (int i = 0; i < 20 && (infos == null || infos.isEmpty()); i++) {
      infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
      if (infos == null || infos.isEmpty()) {
        pause();
      }
    }
    if (infos == null || infos.isEmpty()) {
      throw new DispatcherException(
          "topic " + topic + " does not exist (create it: capsule topics --create)");
    }
    return infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
  }

  private static void pause() {
    try {
      Thread.sleep(250);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DispatcherException("interrupted while looking up a topic", e);
    }
  }

  /** Feeds every record of the partitions, from the beginning to the current end, to the sink. */
  public static void scan(
      KafkaConsumer<String, byte[]> consumer,
      List<TopicPartition> partitions,
      Duration timeout,
      Consumer<ConsumerRecord<String, byte[]>> sink) {
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!caughtUp(consumer, ends)) {
      if (System.nanoTime() > deadline) {
        throw new DispatcherException("reading " + partitions + " took longer than " + timeout);
      }
      consumer.poll(POLL).forEach(sink);
    }
  }

  private static boolean caughtUp(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> ends) {
    for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
      if (consumer.position(end.getKey()) < end.getValue()) {
        return false;
      }
    }
    return true;
  }
}
