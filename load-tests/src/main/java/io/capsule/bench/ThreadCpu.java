package io.capsule.bench;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Where a run's CPU went: the CPU time of every live thread, grouped by name with digits dropped
 * ({@code capsule-task-3} and {@code capsule-task-7} are one group), plus the garbage collectors'
 * wall time. A diagnostic for the report: threads that end during the run are not counted, and the
 * JVM's own threads (JIT, GC) appear only as the rest of the process's CPU time.
 */
final class ThreadCpu {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private final Map<Long, Long> cpuById;
  private final Map<Long, String> names;
  private final long gcMillis;

  private ThreadCpu(Map<Long, Long> cpuById, Map<Long, String> names, long gcMillis) {
    this.cpuById = cpuById;
    this.names = names;
    this.gcMillis = gcMillis;
  }

  /** Every live thread's CPU time now. */
  static ThreadCpu now() {
    Map<Long, Long> cpu = new HashMap<>();
    Map<Long, String> names = new HashMap<>();
    if (THREADS.isThreadCpuTimeSupported()) {
      for (ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
        if (info != null) {
          long time = THREADS.getThreadCpuTime(info.getThreadId());
          if (time >= 0) {
            cpu.put(info.getThreadId(), time);
            names.put(info.getThreadId(), info.getThreadName());
          }
        }
      }
    }
    long gc =
        ManagementFactory.getGarbageCollectorMXBeans().stream()
            .mapToLong(GarbageCollectorMXBean::getCollectionTime)
            .filter(t -> t > 0)
            .sum();
    return new ThreadCpu(cpu, names, gc);
  }

  /**
   * Microseconds per task of each thread group between {@code before} and now, largest first, the
   * groups under 1% of the total folded into "other"; "GC (wall)" is the collectors' time.
   */
  Map<String, Double> microsPerTaskSince(ThreadCpu before, int tasks) {
    Map<String, Long> byGroup = new TreeMap<>();
    cpuById.forEach(
        (id, time) -> {
          long spent = time - before.cpuById.getOrDefault(id, 0L);
          byGroup.merge(group(names.get(id)), spent, Long::sum);
        });
    long total = byGroup.values().stream().mapToLong(Long::longValue).sum();
    Map<String, Double> result = new LinkedHashMap<>();
    long other = 0;
    for (var e :
        byGroup.entrySet().stream()
            .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
            .collect(Collectors.toList())) {
      if (e.getValue() * 100 < total) {
        other += e.getValue();
      } else {
        result.put(e.getKey(), e.getValue() / 1e3 / tasks);
      }
    }
    result.put("other threads", other / 1e3 / tasks);
    result.put("GC (wall)", (gcMillis - before.gcMillis) * 1e3 / tasks);
    return result;
  }

  private static String group(String name) {
    return name.replaceAll("[0-9]+", "N").replaceAll("-[0-9a-f]{8}-", "-");
  }
}
