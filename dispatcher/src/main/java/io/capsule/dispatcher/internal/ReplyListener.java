package io.capsule.dispatcher.internal;

import io.capsule.dispatcher.FleetConnection;
import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * Correlates replies: one thread reads the reply topic and the events topic from their ends as of
 * construction, and completes the future of each awaited task id with the first final envelope it
 * sees (an envelope on the reply topic, or a terminal event carrying one). It keeps the latest
 * final envelopes seen (bounded) so that a caller who starts waiting just after a reply passed
 * still gets it.
 */
public final class ReplyListener implements AutoCloseable {
  private static final Duration POLL = Duration.ofMillis(500);
  private static final int RECENT_LIMIT = 10_000;

  private final KafkaConsumer<String, byte[]> consumer;
  private final String replyTopic;
  private final Map<String, CompletableFuture<ResultEnvelope>> pending = new ConcurrentHashMap<>();
  private final Map<String, ResultEnvelope> recent = boundedMap();
  private final Thread thread;
  private final Consumer<LifecycleEvent> observer;
  private volatile boolean running = true;

  /**
   * Positions at the current ends of both topics; {@link #start()} starts the reading thread.
   * {@code observer} (may be null) sees every event.
   */
  public ReplyListener(
      FleetConnection connection, String replyTopic, Consumer<LifecycleEvent> observer) {
    this.replyTopic = replyTopic;
    this.observer = observer;
    this.consumer = new KafkaConsumer<>(KafkaSettings.reader(connection, "replies"));
    try {
      List<TopicPartition> partitions = new ArrayList<>(TopicScan.partitions(consumer, replyTopic));
      partitions.addAll(TopicScan.partitions(consumer, connection.topics().events()));
      consumer.assign(partitions);
      consumer.seekToEnd(partitions);
      partitions.forEach(consumer::position); // fix the positions now, not at the first poll
    } catch (RuntimeException e) {
      consumer.close();
      throw e;
    }
    this.thread = new Thread(this::run, "capsule-replies");
    thread.setDaemon(true);
  }

  /** Starts reading. */
  public synchronized void start() {
    thread.start();
  }

  /** The future of a task's final envelope; completes at once if it was already seen. */
  public CompletableFuture<ResultEnvelope> await(String taskId) {
    CompletableFuture<ResultEnvelope> future =
        pending.computeIfAbsent(taskId, id -> new CompletableFuture<>());
    recentlySeen(taskId).ifPresent(envelope -> complete(taskId, envelope));
    return future;
  }

  /** Completes a task's future from elsewhere (a status read that found it final). */
  public void complete(String taskId, ResultEnvelope envelope) {
    CompletableFuture<ResultEnvelope> future = pending.remove(taskId);
    if (future != null) {
      future.complete(envelope);
    }
  }

  /** Cancels a task's future. */
  public void cancel(String taskId) {
    CompletableFuture<ResultEnvelope> future = pending.remove(taskId);
    if (future != null) {
      future.completeExceptionally(new CancellationException("task " + taskId + " was cancelled"));
    }
  }

  /** Forgets a future nobody waits for any more. */
  public void forget(String taskId, CompletableFuture<ResultEnvelope> future) {
    pending.remove(taskId, future);
  }

  private Optional<ResultEnvelope> recentlySeen(String taskId) {
    synchronized (recent) {
      return Optional.ofNullable(recent.get(taskId));
    }
  }

  private void run() {
    try {
      while (running) {
        consumer.poll(POLL).forEach(this::handle);
      }
    } catch (WakeupException e) {
      // close() woke us up
    } finally {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }

  private void handle(ConsumerRecord<String, byte[]> record) {
    if (record.key() == null || record.value() == null) {
      return;
    }
    if (record.topic().equals(replyTopic)) {
      parseEnvelope(record.value()).ifPresent(e -> finished(record.key(), e));
    } else if (observer != null || pending.containsKey(record.key())) {
      // Without an observer only the events of awaited tasks matter (a cancel, or a final
      // envelope sent to another reply topic): skip parsing the rest, most of the topic.
      EventLog.parse(record.value()).ifPresent(this::event);
    }
  }

  private void event(LifecycleEvent event) {
    if (observer != null) {
      try {
        observer.accept(event);
      } catch (RuntimeException e) {
        // an observer's fault must not stop reply correlation
      }
    }
    if (event.state() == TaskState.CANCELLED) {
      cancel(event.taskId());
    } else if (event.state().terminal() && event.envelope() != null) {
      finished(event.taskId(), event.envelope());
    }
  }

  private void finished(String taskId, ResultEnvelope envelope) {
    synchronized (recent) {
      recent.put(taskId, envelope);
    }
    complete(taskId, envelope);
  }

  private static Optional<ResultEnvelope> parseEnvelope(byte[] value) {
    try {
      String json = new String(value, StandardCharsets.UTF_8);
      return Optional.of(CapsuleJson.read(json, ResultEnvelope.class));
    } catch (CapsuleException | IllegalArgumentException | NullPointerException e) {
      return Optional.empty();
    }
  }

  private static Map<String, ResultEnvelope> boundedMap() {
    return new LinkedHashMap<>() {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, ResultEnvelope> eldest) {
        return size() > RECENT_LIMIT;
      }
    };
  }

  /** Stops the thread and closes the consumer; pending futures stay incomplete. */
  @Override
  public synchronized void close() {
    running = false;
    if (!thread.isAlive()) {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
      return;
    }
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
