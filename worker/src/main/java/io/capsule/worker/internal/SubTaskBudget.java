package io.capsule.worker.internal;

import io.capsule.protocol.InvalidRequestException;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskTree;

/**
 * One attempt's part of its tree's sub-task budget, the fleet's per-tree count without state shared
 * between workers. A root starts with the policy's {@code max_sub_tasks}; each child costs one and
 * takes with it a share of what is left (half, rounded down, or none when it sits at the last depth
 * and so may start none): the shares of a tree never add up to more than the root's budget, so a
 * tree starts at most {@code max_sub_tasks} sub-tasks, whatever runs where. A request's own {@code
 * tree} is trusted only as far as a root's: its budget is capped at {@code max_sub_tasks}.
 */
final class SubTaskBudget {
  private final TaskTree tree;
  private final int maxSubTasks;
  private final int maxDepth;
  private int available; // guarded by this

  private SubTaskBudget(TaskTree tree, int maxSubTasks, int maxDepth) {
    this.tree = tree;
    this.maxSubTasks = maxSubTasks;
    this.maxDepth = maxDepth;
    this.available = tree.budget();
  }

  /** The budget of an attempt of {@code request}: its tree's, or a root's when it has none. */
  static SubTaskBudget of(TaskRequest request, int maxSubTasks, int maxDepth) {
    TaskTree tree =
        request.tree() == null
            ? TaskTree.root(request.id(), maxSubTasks)
            : request.tree().within(maxSubTasks);
    return new SubTaskBudget(tree, maxSubTasks, maxDepth);
  }

  /** Where the attempt's task sits. */
  TaskTree tree() {
    return tree;
  }

  /**
   * Takes one sub-task and the child's share.
   *
   * @return the child's place in the tree, with its share as its budget
   * @throws InvalidRequestException when this attempt's budget is spent
   */
  synchronized TaskTree reserve() {
    if (available < 1) {
      throw new InvalidRequestException(
          "a task tree may start at most "
              + maxSubTasks
              + " sub-tasks (max_sub_tasks): this task's share of its tree's budget ("
              + tree.budget()
              + ") is spent");
    }
    int share = tree.depth() + 1 >= maxDepth ? 0 : (available - 1) / 2;
    available -= 1 + share;
    return tree.child(share);
  }

  /**
   * Takes back what a finished child left of its share.
   *
   * @param child the child's place, as {@link #reserve()} gave it
   * @param left what its terminal event says it left ({@code null}: nothing)
   */
  synchronized void reclaim(TaskTree child, Integer left) {
    if (left != null) {
      available += Math.min(Math.max(left, 0), child.budget());
    }
  }

  /** What the attempt has not used: its budget less the children it started and their shares. */
  synchronized int left() {
    return available;
  }
}
