package io.capsule.sandbox;

import io.capsule.protocol.FuelExhaustedException;
import io.capsule.protocol.InvalidRequestException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The operator's bounds on the sub-tasks of one root attempt (the tree): how many it may start, how
 * deep they may nest, and one fuel pool the size of the root's budget that every sub-task's
 * attempts draw from (a sub-task reserves its budget, or what is left, when an attempt starts and
 * gives back what it did not use when the attempt ends). The root's own fuel is its own budget, so
 * a tree uses at most twice the root's compute.
 */
final class SubTaskTree {
  private final int maxTasks;
  private final int maxDepth;
  private final long rootBudget;
  private final AtomicInteger started = new AtomicInteger();
  private final AtomicLong pool;

  SubTaskTree(int maxTasks, int maxDepth, long rootBudget) {
    this.maxTasks = maxTasks;
    this.maxDepth = maxDepth;
    this.rootBudget = rootBudget;
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

  /**
   * Takes up to {@code budget} fuel from the pool for one attempt of a sub-task.
   *
   * @return the fuel granted, positive
   * @throws FuelExhaustedException when the pool is empty
   */
  long reserve(long budget) {
    while (true) {
      long left = pool.get();
      if (left <= 0) {
        throw new FuelExhaustedException(rootBudget);
      }
      long grant = Math.min(left, budget);
      if (pool.compareAndSet(left, left - grant)) {
        return grant;
      }
    }
  }

  /** Gives back what an attempt granted {@code granted} did not use. */
  void release(long granted, long used) {
    pool.addAndGet(Math.max(0, granted - Math.min(granted, used)));
  }
}
