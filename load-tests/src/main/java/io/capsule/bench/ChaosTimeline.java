package io.capsule.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What the completions of a chaos run say about recovery: per fault, the longest time no task
 * completed at all ({@code gap_all}), and the longest time a task partition with a task waiting
 * completed nothing ({@code gap_partition}: a partition held by a dead, frozen or cut-off worker
 * stalls while the others run on). Only trivial tasks count — they finish in milliseconds, so a
 * pause is the fault's, not the task's.
 */
final class ChaosTimeline {
  private final Map<Integer, long[]> submittedByPartition;
  private final Map<Integer, long[]> completedByPartition;
  private final long[] completedAll;

  private ChaosTimeline(Map<Integer, long[]> submitted, Map<Integer, long[]> completed) {
    this.submittedByPartition = submitted;
    this.completedByPartition = completed;
    this.completedAll =
        completed.values().stream().flatMapToLong(Arrays::stream).sorted().toArray();
  }

  static ChaosTimeline of(
      Map<String, ChaosLoad.Submitted> submitted, Map<String, Long> completedAtMillis) {
    Map<Integer, List<Long>> sent = new java.util.HashMap<>();
    Map<Integer, List<Long>> done = new java.util.HashMap<>();
    for (ChaosLoad.Submitted task : submitted.values()) {
      Long completed = completedAtMillis.get(task.id());
      if (task.kind() != ChaosTaskKind.TRIVIAL || task.partition() < 0) {
        continue;
      }
      sent.computeIfAbsent(task.partition(), p -> new ArrayList<>()).add(task.sentAtMillis());
      if (completed != null) {
        done.computeIfAbsent(task.partition(), p -> new ArrayList<>()).add(completed);
      }
    }
    return new ChaosTimeline(sorted(sent), sorted(done));
  }

  private static Map<Integer, long[]> sorted(Map<Integer, List<Long>> lists) {
    Map<Integer, long[]> arrays = new java.util.HashMap<>();
    lists.forEach(
        (p, list) -> arrays.put(p, list.stream().mapToLong(Long::longValue).sorted().toArray()));
    return arrays;
  }

  /** The longest interval in [from, to] without any completion. */
  long gapAll(long from, long to) {
    return longestGap(completedAll, null, from, to);
  }

  /**
   * The longest interval in [from, to] in which some partition had a task waiting and no output.
   */
  long gapPartition(long from, long to) {
    long worst = 0;
    for (var entry : completedByPartition.entrySet()) {
      long[] sent = submittedByPartition.getOrDefault(entry.getKey(), new long[0]);
      worst = Math.max(worst, longestGap(entry.getValue(), sent, from, to));
    }
    return worst;
  }

  /** Completions per second in [from, to). */
  double throughput(long from, long to) {
    if (to <= from) {
      return 0;
    }
    long count = Arrays.stream(completedAll).filter(t -> t >= from && t < to).count();
    return count * 1000.0 / (to - from);
  }

  /**
   * The longest interval that starts in [from, to] between consecutive points of {@code from} and
   * the completions after it, during which (with {@code sent} given) a task was waiting at its
   * start.
   */
  private static long longestGap(long[] completed, long[] sent, long from, long to) {
    long worst = 0;
    long previous = from;
    for (long at : completed) {
      if (at <= from) {
        continue;
      }
      if (sent == null || waiting(sent, completed, previous)) {
        worst = Math.max(worst, at - previous);
      }
      if (at > to) {
        break;
      }
      previous = at;
    }
    return worst;
  }

  private static boolean waiting(long[] sent, long[] completed, long at) {
    return countAtOrBefore(sent, at) > countAtOrBefore(completed, at);
  }

  private static int countAtOrBefore(long[] sorted, long at) {
    int index = Arrays.binarySearch(sorted, at);
    if (index < 0) {
      return -index - 1;
    }
    while (index + 1 < sorted.length && sorted[index + 1] == at) {
      index++;
    }
    return index + 1;
  }
}
