package io.capsule.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.Execution;
import io.capsule.protocol.InvalidRequestException;
import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.internal.lang.GuestRequests;
import io.capsule.sandbox.internal.net.HttpTransport;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The attempts of a sandbox's tasks: each bounded by the operator's ceiling, each the root of a
 * tree of sub-tasks (run here on the sandbox's threads, or by a caller's {@link SubTaskRunner})
 * that shares its fuel and is bounded in count and depth.
 */
final class TaskAttempts {
  /** The retry loop a sub-task's attempts run in (the sandbox's). */
  @FunctionalInterface
  interface Retries {
    ResultEnvelope run(
        TaskCall call, AttemptListener listener, Function<TaskCall, ResultEnvelope> attempt);
  }

  private final SandboxConfig config;
  private final ExecutorService guestThreads;
  private final HttpTransport http;
  private final Retries retries;

  TaskAttempts(
      SandboxConfig config, ExecutorService guestThreads, HttpTransport http, Retries retries) {
    this.config = config;
    this.guestThreads = guestThreads;
    this.http = http;
    this.retries = retries;
  }

  /**
   * The options a task runs with: its declared options narrowed by the operator's ceiling (the one
   * rule of {@link OperatorCeiling#narrow(TaskOptions, Path)}); a task naming no ram gets the
   * smaller of this sandbox's default and the ceiling's {@code max_ram}.
   *
   * @throws CapsuleException when an option is above the ceiling and the ceiling rejects
   */
  TaskCall bound(TaskCall call) {
    OperatorCeiling ceiling = config.ceiling();
    if (ceiling.isUnlimited()) {
      return call;
    }
    TaskOptions narrowed = ceiling.narrow(call.options(), config.filesRoot());
    if (narrowed.ram() == null
        && ceiling.maxRam() != null
        && ceiling.maxRam().bytes() < config.defaultRam().bytes()) {
      narrowed = narrowed.toBuilder().ram(ceiling.maxRam()).build();
    }
    return new TaskCall(narrowed, call.args());
  }

  static ResultEnvelope refused(TaskCall call, CapsuleException e) {
    return ResultEnvelope.failure(e.toTaskError(), Execution.none(call.taskName()));
  }

  /**
   * One attempt of {@code call}, the root of its sub-task tree, its log lines to {@code output}; a
   * call above a rejecting ceiling ends refused.
   */
  ResultEnvelope root(
      PreparedModule module, TaskCall call, SubTaskRunner external, Consumer<String> output) {
    TaskCall bounded;
    try {
      bounded = bound(call);
    } catch (CapsuleException e) {
      return refused(call, e);
    }
    var tree =
        new SubTaskTree(
            config.maxSubTasks(),
            config.maxSubTaskDepth(),
            bounded.options().computeOrDefault().fuel());
    int depth = external == null ? 0 : external.depth();
    return attemptIn(tree, depth, module, bounded, external, output);
  }

  /**
   * One attempt at {@code depth} of {@code tree}. Sub-tasks run here are cancelled when it ends; a
   * caller's runner cancels its own (the worker's closes with the attempt, publishing the cancels).
   */
  private ResultEnvelope attemptIn(
      SubTaskTree tree,
      int depth,
      PreparedModule module,
      TaskCall bounded,
      SubTaskRunner external,
      Consumer<String> output) {
    List<CompletableFuture<ResultEnvelope>> children = new CopyOnWriteArrayList<>();
    SubTaskRunner runner =
        external != null ? external : localSubTasks(module, tree, depth + 1, output);
    try {
      return new TaskAttempt(
              config,
              module,
              bounded,
              guestThreads,
              http,
              adapt(module, runner, tree, depth + 1, children),
              tree,
              output)
          .run();
    } finally {
      if (external == null) {
        children.forEach(child -> child.cancel(true));
      }
    }
  }

  /**
   * Sub-tasks run here, each in its own sandbox on this sandbox's threads, concurrently; cancelling
   * one's future interrupts its thread, which stops its attempt (and cancels its own sub-tasks).
   */
  private SubTaskRunner localSubTasks(
      PreparedModule module, SubTaskTree tree, int depth, Consumer<String> output) {
    return call -> {
      CompletableFuture<ResultEnvelope> result = new CompletableFuture<>();
      Future<?> thread =
          guestThreads.submit(
              () -> {
                try {
                  result.complete(runSubTask(module, call, tree, depth, output));
                } catch (RuntimeException | Error e) {
                  result.completeExceptionally(e);
                }
              });
      result.whenComplete(
          (envelope, failure) -> {
            if (result.isCancelled()) {
              thread.cancel(true);
            }
          });
      return result;
    };
  }

  /** A sub-task to its final outcome, its attempts in the tree (and drawing on its fuel). */
  private ResultEnvelope runSubTask(
      PreparedModule module, TaskCall call, SubTaskTree tree, int depth, Consumer<String> output) {
    return retries.run(
        call,
        AttemptListener.NONE,
        bounded -> attemptIn(tree, depth, module, bounded, null, output));
  }

  /**
   * The guest names a task; the child runs with that task's declared options bounded by the
   * ceiling, counted against the tree's caps.
   */
  private GuestRequests.SubTasks adapt(
      PreparedModule module,
      SubTaskRunner runner,
      SubTaskTree tree,
      int depth,
      List<CompletableFuture<ResultEnvelope>> children) {
    GuestScript script = module.script();
    return new GuestRequests.SubTasks() {
      @Override
      public CompletableFuture<ResultEnvelope> start(String name, List<JsonNode> args) {
        if (script == null) {
          throw new InvalidRequestException("sub-tasks need a script task");
        }
        tree.admit(depth);
        TaskCall declared = new TaskCall(script.optionsOf(name), args);
        CompletableFuture<ResultEnvelope> child;
        try {
          child = runner.start(bound(declared));
        } catch (CapsuleException e) {
          child = CompletableFuture.completedFuture(refused(declared, e));
        }
        children.add(child);
        return child;
      }

      @Override
      public Runnable parentWaiting() {
        return runner.parentWaiting();
      }
    };
  }
}
