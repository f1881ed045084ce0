package io.capsule.dispatcher.gateway;

import io.capsule.dispatcher.FleetConnection;
import io.capsule.dispatcher.internal.EventLog;
import io.capsule.dispatcher.internal.KafkaSettings;
import io.capsule.dispatcher.internal.TopicReader;
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
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The recent-tasks view behind {@code GET /v1/tasks} and the dashboard: one thread reads the
 * compacted events topic from the beginning and keeps the latest state of the most recently updated
 * tasks (bounded), and the finish times of the last minute for throughput. Since the events topic
 * holds about one record per task, a restarted gateway rebuilds the same view.
 */
final class TaskBoard implements AutoCloseable {
  private static final long WINDOW_MS = 60_000;

  private final FleetConnection connection;
  private final int capacity;
  private final LinkedHashMap<String, TaskSummary> tasks = new LinkedHashMap<>();
  private final Deque<Long> finishTimes = new ArrayDeque<>();
  private volatile TopicReader reader;

  TaskBoard(FleetConnection connection, int capacity) {
    this.connection = connection;
    this.capacity = capacity;
  }

  /** Assigns every events partition from the beginning and starts reading. */
  TaskBoard start() {
    reader =
        new TopicReader(
            "capsule-gateway-board",
            KafkaSettings.reader(connection, "board"),
            connection.topics().events(),
            TopicReader.From.BEGINNING,
            this::handle);
    reader.start();
    return this;
  }

  /** Whether the reading thread runs and polled within the last 30 seconds. */
  boolean healthy() {
    TopicReader r = reader;
    return r != null && r.healthy(Duration.ofSeconds(30));
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
    TopicReader r = reader;
    if (r != null) {
      r.close();
    }
  }
}
