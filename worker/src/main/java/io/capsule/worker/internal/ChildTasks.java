package io.capsule.worker.internal;

import io.capsule.protocol.ByteSize;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskCancel;
import io.capsule.protocol.TaskLimits;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import io.capsule.protocol.TaskTree;
import io.capsule.protocol.Topics;
import io.capsule.sandbox.SubTaskRunner;
import io.capsule.sandbox.TaskCall;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sub-tasks of a script task running on this worker, as child task requests: each goes to the topic
 * of the child's own compute level with {@code parent_id} set to the caller, its place in the tree
 * ({@code tree}) and a {@code queued} event; its final envelope arrives through the ledger (the
 * terminal event every worker publishes). While the caller waits, its task slot and ram cap are
 * given back, so parents blocked on children never starve the children of a slot.
 *
 * <p>A child never gets more than its parent: its declared options (already within the worker's
 * policy) are narrowed by the parent's own grant with the one rule of {@link
 * OperatorCeiling#narrow} ({@link OperatorCeiling#grantedBy}: the intersection), and what was
 * dropped is named in its {@code queued} event. The tree's sub-task count is a budget carried down
 * the tree ({@link TaskTree#budget()}): each child costs its parent one and takes a share of what
 * is left with it, and gives back what it did not use when it ends ({@link SubTaskBudget}), so a
 * tree never starts more than the policy's {@code max_sub_tasks} in all, without any state shared
 * between workers.
 *
 * <p>A child's request and {@code queued} event are outputs of its parent's record: sent only while
 * this worker holds that record ({@link OutputFence}), so a parent frozen past its session starts
 * no children once awake (its record's new owner runs the parent, and starts its own). The request
 * follows the {@code queued} event once the broker has it, so the child's own events (published by
 * whichever worker runs it) always come after.
 */
public final class ChildTasks {
  private static final Logger LOG = LoggerFactory.getLogger(ChildTasks.class);
  private static final int MAX_PARENT_PREFIX = 150;
  // How many lease terms a sub-task call waits for its parent's lease to be confirmed: two session
  // timeouts, by when the worker has either been confirmed or learnt it lost the parent's record.
  private static final int FENCE_TERMS = 4;
  // Sends a child's request once its queued event is acknowledged: never on the producer's I/O
  // thread that completes that event (the fence may wait there, and so may a send for metadata).
  private static final Executor REQUESTS =
      Executors.newCachedThreadPool(
          r -> {
            Thread thread = new Thread(r, "capsule-sub-task-request");
            thread.setDaemon(true);
            return thread;
          });

  private final OutputPublisher publisher;
  private final EventRecorder events;
  private final TaskLedger ledger;
  private final Admission admission;
  private final Topics topics;
  private final Limits limits;
  private final OutputFence fence;

  /**
   * The worker's bounds on sub-tasks.
   *
   * @param maxSubTasks the policy's sub-tasks per tree: a root's budget
   * @param maxDepth the policy's sub-task depth
   * @param defaultRam the ram cap of a task that names none (the worker's default, within the
   *     policy)
   * @param defaultTimeout the timeout of a task that names none
   * @param filesRoot the directory relative {@code allowed_files} resolve against
   */
  public record Limits(
      int maxSubTasks, int maxDepth, ByteSize defaultRam, Duration defaultTimeout, Path filesRoot) {
    /** Checks the parts. */
    public Limits {
      Objects.requireNonNull(defaultRam, "defaultRam");
      Objects.requireNonNull(defaultTimeout, "defaultTimeout");
      Objects.requireNonNull(filesRoot, "filesRoot");
    }
  }

  /**
   * Children published through {@code publisher} (their events recorded through {@code events})
   * while their parent's record is held ({@code fence}), awaited through {@code ledger}.
   */
  public ChildTasks(
      OutputPublisher publisher,
      EventRecorder events,
      TaskLedger ledger,
      Admission admission,
      Topics topics,
      Limits limits,
      OutputFence fence) {
    this.publisher = publisher;
    this.events = events;
    this.ledger = ledger;
    this.admission = admission;
    this.topics = topics;
    this.limits = limits;
    this.fence = fence;
  }

  /**
   * The sub-task runner for the task of {@code item}, now running here with {@code grant} (its
   * options within the policy, as the sandbox runs it). Close it when the attempt is over: children
   * it still waits for are cancelled.
   */
  public ParentRunner forParent(TaskItem item, TaskOptions grant) {
    TaskOptions effective =
        grant.ram() != null ? grant : grant.toBuilder().ram(limits.defaultRam()).build();
    SubTaskBudget budget =
        SubTaskBudget.of(item.request(), limits.maxSubTasks(), limits.maxDepth());
    return new ParentRunner(item, effective, budget);
  }

  /** Sub-tasks of one attempt of one parent. */
  public final class ParentRunner implements SubTaskRunner, AutoCloseable {
    private final TaskItem item;
    private final TaskOptions grant;
    private final OperatorCeiling ceiling;
    private final SubTaskBudget budget;
    private final List<Child> children = new CopyOnWriteArrayList<>();

    private ParentRunner(TaskItem item, TaskOptions grant, SubTaskBudget budget) {
      this.item = item;
      this.grant = grant;
      this.ceiling = OperatorCeiling.grantedBy(grant);
      this.budget = budget;
    }

    @Override
    public CompletableFuture<ResultEnvelope> start(TaskCall call) {
      TaskTree position = budget.reserve();
      Child child = publish(item, withinParent(call), position, budget);
      children.add(child);
      return child.result();
    }

    /** The parent's depth: the sandbox counts its children's depth from here. */
    @Override
    public int depth() {
      return budget.tree().depth();
    }

    /** What this attempt left of its tree's sub-task budget (its finished children's returned). */
    public int budgetLeft() {
      return budget.left();
    }

    /**
     * The child's declared options (the worker's default timeout when it names none) narrowed by
     * this parent's grant: never more than the parent has, its ram at most the parent's too.
     */
    private ChildCall withinParent(TaskCall call) {
      TaskOptions asked = call.options();
      if (asked.timeout() == null) {
        asked = asked.toBuilder().timeout(limits.defaultTimeout()).build();
      }
      TaskOptions got = ceiling.narrow(asked, limits.filesRoot());
      if (got.ram() == null && grant.ram().bytes() < limits.defaultRam().bytes()) {
        got = got.toBuilder().ram(grant.ram()).build();
      }
      return new ChildCall(new TaskCall(got, call.args()), OperatorCeiling.narrowing(asked, got));
    }

    @Override
    public Runnable parentWaiting() {
      Admission.Slot slot = item.slot();
      if (slot != null) {
        return slot.suspend();
      }
      admission.suspend(item.ram());
      return () -> admission.resume(item.ram());
    }

    /**
     * The attempt is over: children that have not finished are cancelled (a {@code cancelled} event
     * and a cancel behind their request), so a failed, timed-out or cancelled parent leaves no work
     * running for nobody.
     */
    @Override
    public void close() {
      for (Child child : children) {
        if (child.result().cancel(false)) {
          cancel(child, item);
        }
      }
    }
  }

  /** A child's call within its parent's grant, and what narrowing dropped (empty: nothing). */
  private record ChildCall(TaskCall call, String narrowed) {}

  /** A published child request and its final envelope to come. */
  private record Child(TaskRequest request, CompletableFuture<ResultEnvelope> result) {}

  private void cancel(Child child, TaskItem parent) {
    String by = "parent " + parent.request().id();
    String level = child.request().level().topicSuffix();
    LifecycleEvent cancelled =
        LifecycleEvent.of(child.request().id(), TaskState.CANCELLED, level, 0, null)
            .withParent(parent.request().id())
            .withError(null, "cancelled: its " + by + " ended without it");
    events.record(cancelled, parent.traceparent());
    publisher.cancel(TaskCancel.of(child.request().id(), by), parent.traceparent());
  }

  private Child publish(TaskItem parent, ChildCall call, TaskTree position, SubTaskBudget budget) {
    TaskRequest child = childRequest(parent.request(), call.call()).withTree(position);
    CompletableFuture<ResultEnvelope> result = awaitFinal(child.id(), position, budget);
    LifecycleEvent queued =
        LifecycleEvent.of(child.id(), TaskState.QUEUED, child.level().topicSuffix(), 1, null)
            .withParent(parent.request().id());
    if (!call.narrowed().isEmpty()) {
      String note = "narrowed to its parent's grant:" + call.narrowed();
      LOG.info("sub-task {} of {} {}", child.id(), parent.request().id(), note);
      queued = queued.withError(null, note);
    }
    // The queued event from this (the guest's) thread, the request once the broker has that event:
    // the worker that runs the child (another producer) cannot publish the child's events first.
    LifecycleEvent queuedEvent = queued;
    CompletableFuture<Void> sent =
        fence
            .send(
                parent,
                "sub-task's queued event",
                FENCE_TERMS,
                () -> events.record(queuedEvent, parent.traceparent()))
            .thenComposeAsync(
                ok ->
                    fence.send(
                        parent,
                        "sub-task request",
                        FENCE_TERMS,
                        () ->
                            publisher.request(
                                topics.tasks(child.level()), child, parent.traceparent())),
                REQUESTS);
    sent.whenComplete(
        (ok, error) -> {
          if (error != null) {
            result.completeExceptionally(error);
          }
        });
    return new Child(child, result);
  }

  /**
   * The child's final envelope; its parent's budget takes back what the child left of its share
   * before the caller sees the envelope (so the next call already has it).
   */
  private CompletableFuture<ResultEnvelope> awaitFinal(
      String childId, TaskTree position, SubTaskBudget budget) {
    CompletableFuture<LifecycleEvent> terminal = ledger.awaitTerminal(childId);
    CompletableFuture<ResultEnvelope> result =
        terminal.thenApply(
            event -> {
              budget.reclaim(position, event.treeBudgetLeft());
              return event.envelope();
            });
    result.whenComplete((envelope, error) -> terminal.cancel(false));
    return result;
  }

  private static TaskRequest childRequest(TaskRequest parent, TaskCall call) {
    return new TaskRequest(
        TaskRequest.SCHEMA,
        childId(parent.id(), call.taskName()),
        call.taskName(),
        null,
        parent.script(),
        call.args(),
        TaskLimits.of(call.options()),
        call.options().permissions(),
        null,
        parent.id(),
        System.currentTimeMillis(),
        1,
        0);
  }

  /** {@code PARENT/NAME-RANDOM}, the parent part shortened so the id stays within its limit. */
  static String childId(String parentId, String name) {
    String prefix =
        parentId.length() > MAX_PARENT_PREFIX ? parentId.substring(0, MAX_PARENT_PREFIX) : parentId;
    String task = name.length() > 30 ? name.substring(0, 30) : name;
    return prefix + "/" + task + "-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
