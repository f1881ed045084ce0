package io.capsule.sandbox;

import io.capsule.protocol.InvalidRequestException;
import io.capsule.sandbox.internal.meter.FuelMeter;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The operator's bounds on the sub-tasks of one root attempt (the tree): how many it may start, how
 * deep they may nest, and one fuel pool the size of the root's budget that every attempt of the
 * tree, the root's included, draws its refills from: the whole tree uses at most the root's compute
 * (plus at most one refill chunk per attempt), while each task keeps its own budget too.
 */
final class SubTaskTree implements FuelMeter.Pool {
  private final int maxTasks;
  private final int maxDepth;
  private final AtomicInteger started = new AtomicInteger();
  private final AtomicLong pool;

  SubTaskTree(int maxTasks, int maxDepth, long rootBudget) {
    this.maxTasks = maxTasks;
    this.maxDepth = maxDepth;
    this.pool = new AtomicLong(rootBudget);
  }

  /**
   * Counts one more sub-task at {@code depth} (the root's children are at depth 1).
   *
   * @throws InvalidRequestException past the tree's sub-task count or depth
   */
  void admit(int depth) {
    if (depth > maxDepth) {
      throw new InvalidRequestException(
          "sub-task depth "
              + depth
              + " exceeds the operator's limit of "
              + maxDepth
              + " nested levels (max_sub_task_depth)");
    }
    if (started.incrementAndGet() > maxTasks) {
      throw new InvalidRequestException(
          "a task tree may start at most " + maxTasks + " sub-tasks (max_sub_tasks)");
    }
  }

  /** Fuel for a refill of any attempt of the tree: what is left of the root's budget. */
  @Override
  public long take(long wanted) {
    while (true) {
      long left = pool.get();
      long taken = Math.min(left, wanted);
      if (taken <= 0 || pool.compareAndSet(left, left - taken)) {
        return Math.max(0, taken);
      }
    }
  }
}
