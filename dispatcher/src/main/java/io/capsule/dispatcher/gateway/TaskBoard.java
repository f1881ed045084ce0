package io.capsule.dispatcher.gateway;

import io.capsule.dispatcher.FleetConnection;
import io.capsule.dispatcher.internal.EventLog;
import io.capsule.dispatcher.internal.KafkaSettings;
import io.capsule.dispatcher.internal.TopicScan;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.TaskState;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * The recent-tasks view behind {@code GET /v1/tasks} and the dashboard: one thread reads the
 * compacted events topic from the beginning and keeps the latest state of the most recently updated
 * tasks (bounded), and the finish times of the last minute for throughput. Since the events topic
 * holds about one record per task, a restarted gateway rebuilds the same view.
 */
final class TaskBoard implements AutoCloseable {
  private static final Duration POLL = Duration.ofMillis(250);
  private static final long WINDOW_MS = 60_000;

  private final FleetConnection connection;
  private final int capacity;
  private final LinkedHashMap<String, TaskSummary> tasks = new LinkedHashMap<>();
  private final Deque<Long> finishTimes = new ArrayDeque<>();
  private final AtomicLong lastPoll = new AtomicLong();
  private final KafkaConsumer<String, byte[]> consumer;
  private final Thread thread;
  private volatile boolean running = true;

  TaskBoard(FleetConnection connection, int capacity) {
    this.connection = connection;
    this.capacity = capacity;
    this.consumer = new KafkaConsumer<>(KafkaSettings.reader(connection, "board"));
    this.thread = new Thread(this::run, "capsule-gateway-board");
    thread.setDaemon(true);
  }

  /** Assigns every events partition from the beginning and starts reading. */
  TaskBoard start() {
    List<TopicPartition> partitions = TopicScan.partitions(consumer, connection.topics().events());
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    lastPoll.set(System.currentTimeMillis());
    thread.start();
    return this;
  }

  /** Whether the reading thread runs and polled within the last 30 seconds. */
  boolean healthy() {
    return thread.isAlive() && System.currentTimeMillis() - lastPoll.get() < 30_000;
  }

  /** Takes one event into the view. */
  synchronized void accept(LifecycleEvent event) {
    TaskSummary summary = TaskSummary.after(tasks.remove(event.taskId()), event);
    tasks.put(event.taskId(), summary);
    if (tasks.size() > capacity) {
      tasks.remove(tasks.keySet().iterator().next());
    }
    if (event.state().terminal() && event.at() > System.currentTimeMillis() - WINDOW_MS) {
      finishTimes.addLast(event.at());
    }
  }

  /**
   * The latest updated tasks first.
   *
   * @param state only tasks in this state, or {@code null}; {@code failed} also matches {@code
   *     dead_lettered} (workers dead-letter every failure they do not retry further)
   * @param level only tasks of this level, or {@code null}
   * @param limit at most this many
   */
  synchronized List<TaskSummary> recent(TaskState state, String level, int limit) {
    List<TaskSummary> all = new ArrayList<>(tasks.values());
    List<TaskSummary> picked = new ArrayList<>();
    for (int i = all.size() - 1; i >= 0 && picked.size() < limit; i--) {
      TaskSummary t = all.get(i);
      if (matches(state, t.state()) && (level == null || level.equals(t.level()))) {
        picked.add(t);
      }
    }
    return picked;
  }

  private static boolean matches(TaskState wanted, TaskState actual) {
    return wanted == null
        || wanted == actual
        || (wanted == TaskState.FAILED && actual == TaskState.DEAD_LETTERED);
  }

  /** Counts by state and by level, and the finish rate over the last minute. */
  synchronized BoardStats stats() {
    long now = System.currentTimeMillis();
    while (!finishTimes.isEmpty() && finishTimes.peekFirst() < now - WINDOW_MS) {
      finishTimes.removeFirst();
    }
    Map<String, Long> byState = new LinkedHashMap<>();
    for (TaskState s : TaskState.values()) {
      byState.put(s.wireName(), 0L);
    }
    Map<String, Map<String, Long>> byLevel = new TreeMap<>();
    for (TaskSummary t : tasks.values()) {
      byState.merge(t.state().wireName(), 1L, Long::sum);
      String level = t.level() == null ? "unknown" : t.level();
      byLevel
          .computeIfAbsent(level, l -> new LinkedHashMap<>())
          .merge(t.state().wireName(), 1L, Long::sum);
    }
    long finished = finishTimes.size();
    return new BoardStats(tasks.size(), byState, byLevel, finished, finished / 60.0, now);
  }

  /** How many tracked tasks are in a state (for gauges). */
  synchronized long count(TaskState state) {
    return tasks.values().stream().filter(t -> t.state() == state).count();
  }

  private void run() {
    try {
      while (running) {
        var records = consumer.poll(POLL);
        lastPoll.set(System.currentTimeMillis());
        records.forEach(this::handle);
      }
    } catch (WakeupException e) {
      // close() woke us up
    } finally {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }

  private void handle(ConsumerRecord<String, byte[]> record) {
    if (record.key() == null) {
      return;
    }
    if (record.value() == null) {
      synchronized (this) {
        tasks.remove(record.key()); // a tombstone: the task's history was deleted
      }
      return;
    }
    EventLog.parse(record.value()).ifPresent(this::accept);
  }

  /** Stops the reading thread. */
  @Override
  public void close() {
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
