package io.capsule.worker.internal;

import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the cancels topic ({@code PREFIX.cancels}, one small {@code capsule.cancel/v1} record per
 * cancel, keyed by task id): every worker reads every cancel, because a running task must stop on
 * whichever worker runs it, and a worker whose task slots are all taken has paused its task
 * partitions (a cancel travelling there would wait behind the very task it should stop). Cancels
 * are rare; this costs nothing per task.
 *
 * <p>On a cancel it stops the task if it runs here ({@link TaskExecution#cancelRunning}), tells the
 * level consumers (waiting tasks leave their queues), and remembers it for {@link #cancelledAfter}
 * (a request read later). It starts reading {@link #LOOKBACK} back, so a worker that starts after a
 * cancel still honours it.
 */
public final class CancelWatch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CancelWatch.class);
  private static final int MAX_REMEMBERED = 100_000;
  private static final Duration POLL = Duration.ofMillis(500);

  /** How far back a starting worker reads cancels. */
  static final Duration LOOKBACK = Duration.ofMinutes(30);

  private final org.apache.kafka.clients.consumer.Consumer<String, byte[]> consumer;
  private final String topic;
  private final Map<String, Long> cancelled =
      Collections.synchronizedMap(
          new LinkedHashMap<>(256, 0.75f, false) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
              return size() > MAX_REMEMBERED;
            }
          });
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
  private final Thread thread;
  private volatile boolean running = true;

  /** A watch reading {@code topic} with {@code consumer} (group-less). */
  public CancelWatch(
      org.apache.kafka.clients.consumer.Consumer<String, byte[]> consumer, String topic) {
    this.consumer = consumer;
    this.topic = topic;
    this.thread = new Thread(this::readLoop, "capsule-cancels");
    this.thread.setDaemon(true);
  }

  /** Starts following the topic. */
  public void start() {
    thread.start();
  }

  /** Calls {@code listener} with the task id of every cancel read from now on (on this thread). */
  public void onCancel(Consumer<String> listener) {
    listeners.add(listener);
  }

  /** Whether {@code taskId} was cancelled at or after {@code recordTimestamp} (epoch ms). */
  public boolean cancelledAfter(String taskId, long recordTimestamp) {
    Long at = cancelled.get(taskId);
    return at != null && at >= recordTimestamp;
  }

  /** Notes a cancel (read from the topic, or made on this worker). */
  public void note(String taskId, long at) {
    cancelled.merge(taskId, at, Math::max);
    for (Consumer<String> listener : listeners) {
      try {
        listener.accept(taskId);
      } catch (RuntimeException e) {
        LOG.warn("cancel listener failed for {}", taskId, e);
      }
    }
  }

  private void readLoop() {
    try {
      List<TopicPartition> partitions = awaitPartitions();
      if (partitions.isEmpty()) {
        return;
      }
      consumer.assign(partitions);
      seekToLookback(partitions);
      while (running) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
          if (record.key() != null) {
            note(record.key(), record.timestamp());
          }
        }
      }
    } catch (WakeupException e) {
      if (running) {
        LOG.error("cancel watch woken unexpectedly", e);
      }
    } catch (InterruptException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.error("cancel watch stopped reading {}; cancels no longer stop running tasks", topic, e);
    } finally {
      consumer.close();
    }
  }

  /** The topic's partitions; waits (logging once) while the topic does not exist. */
  private List<TopicPartition> awaitPartitions() {
    boolean warned = false;
    while (running) {
      var infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
      if (infos != null && !infos.isEmpty()) {
        return infos.stream()
            .map(i -> new TopicPartition(topic, i.partition()))
            .collect(Collectors.toList());
      }
      if (!warned) {
        LOG.warn("topic {} does not exist (yet); cancels cannot reach this worker", topic);
        warned = true;
      }
      try {
        Thread.sleep(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return List.of();
      }
    }
    return List.of();
  }

  private void seekToLookback(List<TopicPartition> partitions) {
    long since = System.currentTimeMillis() - LOOKBACK.toMillis();
    Map<TopicPartition, Long> times = new HashMap<>();
    partitions.forEach(p -> times.put(p, since));
    Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(times);
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
    for (TopicPartition p : partitions) {
      OffsetAndTimestamp at = found.get(p);
      consumer.seek(p, at != null ? at.offset() : ends.get(p));
    }
  }

  /** Stops the reader thread. */
  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
