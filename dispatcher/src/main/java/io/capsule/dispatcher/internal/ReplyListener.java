package io.capsule.dispatcher.internal;

import io.capsule.dispatcher.FleetConnection;
import io.capsule.protocol.BoundedMap;
import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Correlates replies: one thread reads the reply topic and another the events topic, both from
 * their ends as of construction, and completes the future of each awaited task id with the first
 * final envelope it sees (an envelope on the reply topic, or a terminal event carrying one). It
 * keeps the latest final envelopes seen (bounded) so that a caller who starts waiting just after a
 * reply passed still gets it.
 *
 * <p>The events reader fetches in batches (up to {@link #EVENTS_FETCH_WAIT} late): an event matters
 * here only for a cancel, an envelope sent to another reply topic, or an observer, while fetching
 * as soon as any event arrives would cost the broker several fetches per task.
 */
public final class ReplyListener implements AutoCloseable {
  /** How late the events reader may see an event. */
  public static final Duration EVENTS_FETCH_WAIT = Duration.ofMillis(100);

  /** How many bytes of events the events reader waits for before a fetch returns. */
  public static final int EVENTS_FETCH_BYTES = 256 * 1024;

  private static final int RECENT_LIMIT = 10_000;

  private final Map<String, CompletableFuture<ResultEnvelope>> pending = new ConcurrentHashMap<>();
  private final Map<String, ResultEnvelope> recent = boundedMap();
  private final Consumer<LifecycleEvent> observer;
  private final TopicReader replies;
  private final TopicReader events;

  /**
   * Positions at the current ends of both topics; {@link #start()} starts the reading threads.
   * {@code observer} (may be null) sees every event.
   */
  public ReplyListener(
      FleetConnection connection, String replyTopic, Consumer<LifecycleEvent> observer) {
    this.observer = observer;
    this.replies =
        new TopicReader(
            "capsule-replies",
            KafkaSettings.reader(connection, "replies"),
            replyTopic,
            TopicReader.From.END,
            keyed(r -> parseEnvelope(r.value()).ifPresent(e -> finished(r.key(), e))));
    Properties batched = KafkaSettings.reader(connection, "events");
    batched.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, Integer.toString(EVENTS_FETCH_BYTES));
    batched.put(
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, Long.toString(EVENTS_FETCH_WAIT.toMillis()));
    try {
      this.events =
          new TopicReader(
              "capsule-events",
              batched,
              connection.topics().events(),
              TopicReader.From.END,
              keyed(this::handleEvent));
    } catch (RuntimeException e) {
      replies.close();
      throw e;
    }
  }

  /** Starts reading. */
  public synchronized void start() {
    replies.start();
    events.start();
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

  private void handleEvent(ConsumerRecord<String, byte[]> record) {
    if (observer != null || pending.containsKey(record.key())) {
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
      return Optional.of(CapsuleJson.read(value, ResultEnvelope.class)); // no String between
    } catch (CapsuleException | IllegalArgumentException | NullPointerException e) {
      return parseDecoded(value); // e.g. not UTF-8: read as decoded text, as before
    }
  }

  private static Optional<ResultEnvelope> parseDecoded(byte[] value) {
    try {
      String json = new String(value, StandardCharsets.UTF_8);
      return Optional.of(CapsuleJson.read(json, ResultEnvelope.class));
    } catch (CapsuleException | IllegalArgumentException | NullPointerException e) {
      return Optional.empty();
    }
  }

  private static Map<String, ResultEnvelope> boundedMap() {
    return BoundedMap.oldestFirst(RECENT_LIMIT);
  }

  /** Stops the threads and closes the consumers; pending futures stay incomplete. */
  @Override
  public synchronized void close() {
    try {
      replies.close();
    } finally {
      events.close();
    }
  }

  /** Keyed records with a value only (no tombstones). */
  private static java.util.function.Consumer<ConsumerRecord<String, byte[]>> keyed(
      java.util.function.Consumer<ConsumerRecord<String, byte[]>> handler) {
    return r -> {
      if (r.key() != null && r.value() != null) {
        handler.accept(r);
      }
    };
  }
}
