package io.capsule.sandbox.testing;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;

/**
 * The most heap the JVM held while something ran, above what it held before: the sum of each heap
 * pool's peak, less the pools' use after a collection and a reset of the peaks before the run. An
 * upper bound (the pools peak at different moments), so a test that asserts it stays under a bound
 * does not pass by luck.
 */
public final class HeapPeak {
  private HeapPeak() {}

  /** Runs {@code action} and returns the heap it took at most, in bytes. */
  public static long during(Runnable action) {
    List<MemoryPoolMXBean> pools =
        ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP && p.isValid())
            .toList();
    System.gc();
    pools.forEach(MemoryPoolMXBean::resetPeakUsage);
    long before = pools.stream().mapToLong(p -> p.getUsage().getUsed()).sum();
    action.run();
    return pools.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum() - before;
  }
}
