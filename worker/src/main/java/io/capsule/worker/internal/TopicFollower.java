package io.capsule.worker.internal;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A thread that reads every partition of one topic with a group-less consumer (the worker's ledger
 * and its cancel watch): it waits for the topic to exist, assigns all its partitions, then {@link
 * #follow}s them until {@link #close}. Whatever stops it, its consumer is closed.
 */
abstract class TopicFollower implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TopicFollower.class);
  private static final Duration TOPIC_RETRY = Duration.ofSeconds(2);

  /** The consumer, used on the follower's thread only. */
  protected final Consumer<String, byte[]> consumer;

  /** The topic followed. */
  protected final String topic;

  private final Thread thread;
  private volatile boolean running = true;

  TopicFollower(Consumer<String, byte[]> consumer, String topic, String threadName) {
    this.consumer = consumer;
    this.topic = topic;
    this.thread = new Thread(this::run, threadName);
    this.thread.setDaemon(true);
  }

  /** Starts the thread. */
  public void start() {
    thread.start();
  }

  /** Reads the assigned {@code partitions} while {@link #running()}; on the follower's thread. */
  protected abstract void follow(List<TopicPartition> partitions);

  /** Runs on the follower's thread once it has stopped, after its consumer is closed. */
  protected void stopped() {}

  /** Whether the follower should go on. */
  protected final boolean running() {
    return running;
  }

  /**
   * Per partition, the first offset of a record written at or after {@code epochMillis} (the end
   * where there is none).
   */
  protected final Map<TopicPartition, Long> offsetsAt(
      List<TopicPartition> partitions, long epochMillis) {
    // The ends first: a record written between the two lookups is then never skipped (were the
    // ends read after a lookup that found nothing, such a record would lie below them).
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
    Map<TopicPartition, Long> times = new HashMap<>();
    partitions.forEach(p -> times.put(p, Math.max(0, epochMillis)));
    Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(times);
    Map<TopicPartition, Long> offsets = new HashMap<>();
    for (TopicPartition p : partitions) {
      OffsetAndTimestamp at = found.get(p);
      offsets.put(p, at != null ? at.offset() : ends.get(p));
    }
    return offsets;
  }

  private void run() {
    try {
      List<TopicPartition> partitions = awaitPartitions();
      if (!partitions.isEmpty()) {
        consumer.assign(partitions);
        follow(partitions);
      }
    } catch (WakeupException e) {
      if (running) {
        LOG.error("{} woken unexpectedly", thread.getName(), e);
      }
    } catch (InterruptException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.error("{} stopped reading {}", thread.getName(), topic, e);
    } finally {
      consumer.close();
      stopped();
    }
  }

  /** The topic's partitions; waits (saying so once) while the topic does not exist. */
  private List<TopicPartition> awaitPartitions() {
    boolean told = false;
    while (running) {
      var infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
      if (infos != null && !infos.isEmpty()) {
        return infos.stream()
            .map(i -> new TopicPartition(topic, i.partition()))
            .collect(Collectors.toList());
      }
      if (!told) {
        LOG.info("{}: topic {} does not exist yet; waiting for it", thread.getName(), topic);
        told = true;
      }
      try {
        Thread.sleep(TOPIC_RETRY.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return List.of();
      }
    }
    return List.of();
  }

  /** Stops the thread (waits up to 5 s for it). */
  @Override
  public void close() {
    running = false;
    wakeUp();
    consumer.wakeup();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Called by {@link #close} before the consumer is woken: wake anything else the thread waits on.
   */
  protected void wakeUp() {}
}
