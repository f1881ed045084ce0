package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Where a fleet sub-task sits in its task tree: set on a child request by the worker that spawns
 * it, absent on a root. A producer can write any value here; a worker reads it only as a bound that
 * a new root would not have ({@link #within(int)}): a forged tree gets at most what submitting a
 * new root gets.
 *
 * @param root the id of the tree's root task (lineage, for people and dashboards)
 * @param depth how deep the task sits: a root's children are at depth 1
 * @param budget how many sub-tasks this task and its descendants may still start in all
 */
public record TaskTree(
    @JsonProperty("root") String root,
    @JsonProperty("depth") int depth,
    @JsonProperty("budget") int budget) {

  /** Validates the lineage. */
  public TaskTree {
    if (root == null || root.isBlank() || root.length() > TaskRequest.MAX_ID_LENGTH) {
      throw new InvalidRequestException(
          "tree.root must be a task id of 1-" + TaskRequest.MAX_ID_LENGTH + " characters");
    }
    if (depth < 0) {
      throw new InvalidRequestException("tree.depth must not be negative, not " + depth);
    }
    if (budget < 0) {
      throw new InvalidRequestException("tree.budget must not be negative, not " + budget);
    }
  }

  /**
   * The position of a root task: depth 0 and the whole budget.
   *
   * @param rootId the root's task id
   * @param maxSubTasks the operator's limit on the sub-tasks of a tree
   */
  public static TaskTree root(String rootId, int maxSubTasks) {
    return new TaskTree(rootId, 0, maxSubTasks);
  }

  /**
   * This position as a worker trusts it: the budget never above {@code maxSubTasks}, what a new
   * root gets (a lower budget, or a greater depth, only takes from the request that claims it).
   */
  public TaskTree within(int maxSubTasks) {
    return budget <= maxSubTasks ? this : new TaskTree(root, depth, maxSubTasks);
  }

  /** The position of a child of this task, one level deeper, handed {@code childBudget}. */
  public TaskTree child(int childBudget) {
    return new TaskTree(root, depth + 1, childBudget);
  }

  /** This position with another budget (a retry keeps what its earlier attempts left). */
  public TaskTree withBudget(int left) {
    return new TaskTree(root, depth, left);
  }
}
