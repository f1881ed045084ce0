package io.capsule.worker.internal;

import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The latest known lifecycle state of each task id, read from the compacted events topic by a
 * background thread (and from this worker's own events as it sends them). It recognises
 * redeliveries: a request record whose task already reached a final state, or whose attempt was
 * already retried, after the record was written.
 *
 * <p>Holds at most {@value #MAX_TASKS} task ids (least recently seen forgotten first).
 */
public final class TaskLedger implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TaskLedger.class);
  private static final int MAX_TASKS = 1_000_000;

  /**
   * How late the ledger may read the events topic. Its own worker's events are noted as they are
   * sent; others' matter only for redeliveries, and {@link #awaitCaughtUp} waits for them anyway.
   */
  public static final Duration FETCH_WAIT = Duration.ofMillis(100);

  /** What is known of one task: its latest state and when it was recorded (epoch ms). */
  record Seen(TaskState state, int attempt, long at) {}

  private final Map<String, Seen> latest =
      Collections.synchronizedMap(
          new LinkedHashMap<>(1024, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Seen> eldest) {
              return size() > MAX_TASKS;
            }
          });
  private final Map<TopicPartition, Long> positions = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<ResultEnvelope>> awaited = new ConcurrentHashMap<>();
  private final Consumer<String, byte[]> consumer;
  private final String topic;
  private final Thread thread;
  private volatile boolean running = true;

  /** A ledger reading {@code topic} with {@code consumer} (group-less). */
  public TaskLedger(Consumer<String, byte[]> consumer, String topic) {
    this.consumer = consumer;
    this.topic = topic;
    this.thread = new Thread(this::readLoop, "capsule-ledger");
    this.thread.setDaemon(true);
  }

  /** Starts reading the events topic from its beginning. */
  public void start() {
    thread.start();
  }

  /** Notes an event (this worker's own, or one read from the topic). */
  public void note(LifecycleEvent event, long at) {
    if (event.state().terminal() && event.envelope() != null) {
      complete(event.taskId(), event.envelope());
    }
    note(event.taskId(), new Seen(event.state(), event.attempt(), at));
  }

  private void complete(String taskId, ResultEnvelope envelope) {
    CompletableFuture<ResultEnvelope> waiting = awaited.remove(taskId);
    if (waiting != null) {
      waiting.complete(envelope);
    }
  }

  private void note(String taskId, Seen seen) {
    latest.merge(taskId, seen, (old, fresh) -> fresh.at() >= old.at() ? fresh : old);
  }

  /**
   * The final envelope of {@code taskId}, from the first terminal event noted from now on (call
   * before publishing the request). Cancel the future to stop waiting.
   */
  public CompletableFuture<ResultEnvelope> awaitFinal(String taskId) {
    CompletableFuture<ResultEnvelope> future = new CompletableFuture<>();
    awaited.put(taskId, future);
    future.whenComplete((envelope, error) -> awaited.remove(taskId, future));
    return future;
  }

  /**
   * Whether a request record for {@code attempt} of {@code taskId}, written at {@code
   * recordTimestamp}, was already handled: the task reached a final state, or this attempt (or a
   * later one) was already retried or started, after the record was written. A replay (a newer
   * record) is therefore never mistaken for a duplicate.
   */
  public boolean alreadyHandled(String taskId, int attempt, long recordTimestamp) {
    Seen seen = latest.get(taskId);
    if (seen == null || seen.at() < recordTimestamp) {
      return false;
    }
    return seen.state().terminal()
        || seen.attempt() > attempt
        || (seen.state() == TaskState.RETRYING && seen.attempt() >= attempt);
  }

  /**
   * Waits until the ledger has read up to {@code endOffsets} (the events topic's ends at some
   * moment), so every event acknowledged before that moment is known.
   *
   * @return whether it caught up within {@code timeout}
   */
  public boolean awaitCaughtUp(Map<TopicPartition, Long> endOffsets, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      boolean caughtUp =
          endOffsets.entrySet().stream()
              .allMatch(e -> positions.getOrDefault(e.getKey(), 0L) >= e.getValue());
      if (caughtUp) {
        return true;
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  private void readLoop() {
    try {
      List<TopicPartition> partitions = partitions();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (running) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          read(record);
        }
        for (TopicPartition p : partitions) {
          positions.put(p, consumer.position(p));
        }
      }
    } catch (WakeupException e) {
      if (running) {
        LOG.error("ledger woken unexpectedly", e);
      }
    } catch (RuntimeException e) {
      LOG.error("ledger stopped reading {}", topic, e);
    } finally {
      consumer.close();
    }
  }

  private List<TopicPartition> partitions() {
    while (running) {
      var infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
      if (infos != null && !infos.isEmpty()) {
        return infos.stream()
            .map(i -> new TopicPartition(topic, i.partition()))
            .collect(Collectors.toList());
      }
    }
    return List.of();
  }

  private void read(ConsumerRecord<String, byte[]> record) {
    if (record.value() == null) {
      return;
    }
    try {
      EventStateReader.EventState event = EventStateReader.read(record.value());
      if (event != null) {
        if (event.state().terminal() && awaited.containsKey(event.taskId())) {
          // a sub-task's parent waits here: only then is the whole event (its envelope) parsed
          LifecycleEvent full =
              CapsuleJson.read(
                  new String(record.value(), StandardCharsets.UTF_8), LifecycleEvent.class);
          if (full.envelope() != null) {
            complete(full.taskId(), full.envelope());
          }
        }
        note(event.taskId(), new Seen(event.state(), event.attempt(), record.timestamp()));
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("skipping unreadable event at {}", record.offset(), e);
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
