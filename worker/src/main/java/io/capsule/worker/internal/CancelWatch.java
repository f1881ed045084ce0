package io.capsule.worker.internal;

import io.capsule.protocol.BoundedMap;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
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
public final class CancelWatch extends TopicFollower {
  private static final Logger LOG = LoggerFactory.getLogger(CancelWatch.class);
  private static final int MAX_REMEMBERED = 100_000;
  private static final Duration POLL = Duration.ofMillis(500);

  /** How far back a starting worker reads cancels. */
  static final Duration LOOKBACK = Duration.ofMinutes(30);

  private final Map<String, Long> cancelled = BoundedMap.oldestFirst(MAX_REMEMBERED);
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

  /** A watch reading {@code topic} with {@code consumer} (group-less). */
  public CancelWatch(
      org.apache.kafka.clients.consumer.Consumer<String, byte[]> consumer, String topic) {
    super(consumer, topic, "capsule-cancels");
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

  @Override
  protected void follow(List<TopicPartition> partitions) {
    long since = System.currentTimeMillis() - LOOKBACK.toMillis();
    offsetsAt(partitions, since).forEach(consumer::seek);
    while (running()) {
      for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
        if (record.key() != null) {
          note(record.key(), record.timestamp());
        }
      }
    }
  }
}
