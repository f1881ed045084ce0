package io.capsule.sandbox;

import io.capsule.protocol.ResultEnvelope;
import java.util.concurrent.CompletableFuture;

/**
 * Where the sub-tasks of a script task run when it calls another of its file's tasks. {@link
 * Sandbox#attempt(PreparedModule, TaskCall)} runs each in a fresh sandbox on the sandbox's own
 * threads; a fleet worker passes one that publishes child task requests instead.
 */
public interface SubTaskRunner {
  /**
   * Starts a sub-task: {@code call} has the child's name, its own declared options and its
   * arguments. The future completes with the child's final envelope (a failed child completes
   * normally with a failure envelope).
   */
  CompletableFuture<ResultEnvelope> start(TaskCall call);

  /**
   * How deep in its task tree the calling task sits (0: a root). The sandbox counts the depth of
   * the caller's sub-tasks from here against {@link SandboxConfig#maxSubTaskDepth()}, so a tree
   * whose tasks run on different sandboxes (a fleet's child requests) has one depth limit. The
   * default is 0.
   */
  default int depth() {
    return 0;
  }

  /**
   * Called when the calling task starts blocking until sub-tasks finish; the returned action runs
   * when it stops blocking. The default does nothing.
   */
  default Runnable parentWaiting() {
    return () -> {};
  }
}
