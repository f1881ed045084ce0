package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capsule.protocol.InvalidRequestException;
import io.capsule.protocol.ScriptRef;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskTree;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The fleet's per-tree sub-task count, a budget carried down the tree: however the tasks of a tree
 * spawn, on however many workers, and whatever a producer writes in {@code tree}, no tree starts
 * more than {@code max_sub_tasks}.
 */
class SubTaskBudgetTest {
  private static final int MAX = 64;
  private static final int DEPTH = 4;

  private static TaskRequest request(TaskTree tree) {
    return TaskRequest.of(ScriptRef.inline("a.js", "x"), List.of(), TaskOptions.NONE)
        .withTree(tree);
  }

  @Test
  void aRootHandsEachChildHalfOfWhatIsLeftUntilItsBudgetIsSpent() {
    SubTaskBudget root = SubTaskBudget.of(request(null), MAX, DEPTH);
    List<Integer> shares = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      TaskTree child = root.reserve();
      assertThat(child.depth()).isEqualTo(1);
      assertThat(child.root()).isEqualTo(root.tree().root());
      shares.add(child.budget());
    }
    assertThat(shares).containsExactly(31, 15, 7, 3, 1, 0, 0);
    assertThat(root.left()).isZero();
    assertThatThrownBy(root::reserve)
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("a task tree may start at most 64 sub-tasks (max_sub_tasks)");
  }

  @Test
  void childrenAtTheLastDepthTakeNoShareSoATaskThereCanStartItsWholeBudgetOfThem() {
    SubTaskBudget parent = SubTaskBudget.of(request(new TaskTree("r", DEPTH - 1, 10)), MAX, DEPTH);
    for (int i = 0; i < 10; i++) {
      assertThat(parent.reserve()).isEqualTo(new TaskTree("r", DEPTH, 0));
    }
    assertThatThrownBy(parent::reserve).isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void aForgedTreeGetsNoMoreThanANewRoot() {
    SubTaskBudget forged =
        SubTaskBudget.of(request(new TaskTree("victim", 0, Integer.MAX_VALUE)), MAX, DEPTH);
    assertThat(forged.tree().budget()).isEqualTo(MAX);
    assertThat(greedyTree(forged, 0)).isLessThanOrEqualTo(MAX);
  }

  /**
   * Every task of the tree spawns as long as its budget lets it (a runaway script), each child on
   * whatever worker: the whole tree stays within the root's budget and the depth limit.
   */
  @ParameterizedTest
  @CsvSource({"64,4", "64,1", "5,4", "1,4", "1000,6", "0,4"})
  void aGreedyTreeNeverStartsMoreThanMaxSubTasks(int max, int depth) {
    AtomicInteger deepest = new AtomicInteger();
    int started = greedy(SubTaskBudget.of(request(null), max, depth), max, depth, deepest);
    assertThat(started).isLessThanOrEqualTo(max);
    assertThat(deepest.get()).isLessThanOrEqualTo(depth);
  }

  @Test
  void aRetriedSubTaskKeepsOnlyWhatItsEarlierAttemptsLeft() {
    TaskTree share = new TaskTree("r", 1, 31);
    SubTaskBudget first = SubTaskBudget.of(request(share), MAX, DEPTH);
    first.reserve();
    first.reserve();
    TaskRequest retry = request(share).nextAttempt(0);
    retry = retry.withTree(retry.tree().withBudget(first.left()));
    SubTaskBudget second = SubTaskBudget.of(retry, MAX, DEPTH);
    int spentFirst = share.budget() - first.left();
    assertThat(spentFirst + greedyTree(second, 1)).isLessThanOrEqualTo(31);
  }

  @Test
  void aParentTakesBackWhatAFinishedChildLeftSoSequentialCallsReachTheWholeBudget() {
    SubTaskBudget root = SubTaskBudget.of(request(null), MAX, DEPTH);
    for (int i = 0; i < MAX; i++) {
      TaskTree child = root.reserve(); // a leaf: it starts nothing and leaves its whole share
      root.reclaim(child, child.budget());
    }
    assertThat(root.left()).isZero();
    assertThatThrownBy(root::reserve).isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void aChildClaimingToHaveLeftMoreThanItsShareGivesBackOnlyItsShare() {
    SubTaskBudget root = SubTaskBudget.of(request(null), MAX, DEPTH);
    TaskTree child = root.reserve();
    root.reclaim(child, Integer.MAX_VALUE);
    assertThat(root.left()).isEqualTo(MAX - 1);
    root.reclaim(root.reserve(), null);
    assertThat(root.left()).isEqualTo(MAX - 1 - 1 - 31);
  }

  /**
   * Sequential children, each spawning greedily and giving back what it left: the tree still starts
   * no more than the root's budget.
   */
  @ParameterizedTest
  @CsvSource({"64,4", "5,4", "1000,6"})
  void givingBackNeverLetsATreeStartMoreThanMaxSubTasks(int max, int depth) {
    AtomicInteger deepest = new AtomicInteger();
    int started = greedyReturning(SubTaskBudget.of(request(null), max, depth), max, depth, deepest);
    assertThat(started).isEqualTo(max);
    assertThat(deepest.get()).isLessThanOrEqualTo(depth);
  }

  /** {@link #greedy} where every finished child gives back what it left, as workers report it. */
  private static int greedyReturning(
      SubTaskBudget task, int max, int maxDepth, AtomicInteger deepest) {
    int started = 0;
    while (task.tree().depth() < maxDepth) {
      TaskTree child;
      try {
        child = task.reserve();
      } catch (InvalidRequestException spent) {
        break;
      }
      deepest.accumulateAndGet(child.depth(), Math::max);
      SubTaskBudget run = SubTaskBudget.of(request(child), max, maxDepth);
      started += 1 + greedyReturning(run, max, maxDepth, deepest);
      task.reclaim(child, run.left());
    }
    return started;
  }

  private static int greedyTree(SubTaskBudget task, int depth) {
    return greedy(task, MAX, DEPTH, new AtomicInteger(depth));
  }

  /** How many sub-tasks the tree under {@code task} starts when every task spawns greedily. */
  private static int greedy(SubTaskBudget task, int max, int maxDepth, AtomicInteger deepest) {
    int started = 0;
    while (task.tree().depth() < maxDepth) {
      TaskTree child;
      try {
        child = task.reserve();
      } catch (InvalidRequestException spent) {
        break;
      }
      deepest.accumulateAndGet(child.depth(), Math::max);
      started +=
          1 + greedy(SubTaskBudget.of(request(child), max, maxDepth), max, maxDepth, deepest);
    }
    return started;
  }
}
