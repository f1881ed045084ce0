package io.capsule.dispatcher.gateway;

import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.TaskState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The latest event of the most recently changed tasks this gateway has seen, newest last; bounded,
 * the task changed longest ago is dropped first.
 */
final class TaskBoard {
  private final int capacity;
  private final LinkedHashMap<String, LifecycleEvent> latest = new LinkedHashMap<>();

  TaskBoard(int capacity) {
    this.capacity = capacity;
  }

  synchronized void record(LifecycleEvent event) {
    latest.remove(event.taskId());
    latest.put(event.taskId(), event);
    if (latest.size() > capacity) {
      latest.remove(latest.keySet().iterator().next());
    }
  }

  synchronized Optional<LifecycleEvent> get(String taskId) {
    return Optional.ofNullable(latest.get(taskId));
  }

  /** Newest first; {@code state} and {@code level} filter when not {@code null}. */
  synchronized List<LifecycleEvent> recent(TaskState state, String level, int limit) {
    List<LifecycleEvent> all = new ArrayList<>(latest.values());
    List<LifecycleEvent> picked = new ArrayList<>();
    for (int i = all.size() - 1; i >= 0 && picked.size() < limit; i--) {
      LifecycleEvent event = all.get(i);
      if ((state == null || event.state() == state)
          && (level == null || level.equalsIgnoreCase(event.level()))) {
        picked.add(event);
      }
    }
    return picked;
  }

  /** How many seen tasks are in each state, and at each level. */
  synchronized Map<String, Map<String, Integer>> counts() {
    Map<String, Integer> byState = new LinkedHashMap<>();
    Map<String, Integer> byLevel = new LinkedHashMap<>();
    for (LifecycleEvent event : latest.values()) {
      byState.merge(event.state().wireName(), 1, Integer::sum);
      byLevel.merge(event.level() == null ? "unknown" : event.level(), 1, Integer::sum);
    }
    return Map.of("by_state", byState, "by_level", byLevel);
  }
}
