package io.capsule.worker.internal;

import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskCancel;
import io.capsule.protocol.TaskLimits;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import io.capsule.protocol.Topics;
import io.capsule.sandbox.SubTaskRunner;
import io.capsule.sandbox.TaskCall;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Sub-tasks of a script task running on this worker, as child task requests: each goes to the topic
 * of the child's own compute level with the child's declared options, {@code parent_id} set to the
 * caller, and a {@code queued} event; its final envelope arrives through the ledger (the terminal
 * event every worker publishes). While the caller waits, its task slot and ram cap are given back,
 * so parents blocked on children never starve the children of a slot.
 */
public final class ChildTasks {
  private static final int MAX_PARENT_PREFIX = 150;

  private final OutputPublisher publisher;
  private final TaskLedger ledger;
  private final Admission admission;
  private final Topics topics;

  /** Children published through {@code publisher}, awaited through {@code ledger}. */
  public ChildTasks(
      OutputPublisher publisher, TaskLedger ledger, Admission admission, Topics topics) {
    this.publisher = publisher;
    this.ledger = ledger;
    this.admission = admission;
    this.topics = topics;
  }

  /**
   * The sub-task runner for the task of {@code item}, now running here. Close it when the attempt
   * is over: children it still waits for are cancelled.
   */
  public ParentRunner forParent(TaskItem item) {
    return new ParentRunner(item);
  }

  /** Sub-tasks of one attempt of one parent. */
  public final class ParentRunner implements SubTaskRunner, AutoCloseable {
    private final TaskItem item;
    private final List<Child> children = new CopyOnWriteArrayList<>();

    private ParentRunner(TaskItem item) {
      this.item = item;
    }

    @Override
    public CompletableFuture<ResultEnvelope> start(TaskCall call) {
      Child child = publish(item, call);
      children.add(child);
      return child.result();
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

  /** A published child request and its final envelope to come. */
  private record Child(TaskRequest request, CompletableFuture<ResultEnvelope> result) {}

  private void cancel(Child child, TaskItem parent) {
    String by = "parent " + parent.request().id();
    String level = child.request().level().topicSuffix();
    LifecycleEvent cancelled =
        LifecycleEvent.of(child.request().id(), TaskState.CANCELLED, level, 0, null)
            .withParent(parent.request().id())
            .withError(null, "cancelled: its " + by + " ended without it");
    publisher.event(cancelled, parent.traceparent());
    publisher.cancel(TaskCancel.of(child.request().id(), by), parent.traceparent());
  }

  private Child publish(TaskItem parent, TaskCall call) {
    TaskRequest child = childRequest(parent.request(), call);
    CompletableFuture<ResultEnvelope> result = ledger.awaitFinal(child.id());
    LifecycleEvent queued =
        LifecycleEvent.of(child.id(), TaskState.QUEUED, child.level().topicSuffix(), 1, null)
            .withParent(parent.request().id());
    // Both sent from this (the guest's) thread, never from a send callback: a send that waits for
    // topic metadata would block the producer's I/O thread. Same key, same producer: the queued
    // event lands before any event of the worker that runs the child.
    CompletableFuture<Void> sent =
        CompletableFuture.allOf(
            publisher.event(queued, parent.traceparent()),
            publisher.request(topics.tasks(child.level()), child, parent.traceparent()));
    sent.whenComplete(
        (ok, error) -> {
          if (error != null) {
            result.completeExceptionally(error);
          }
        });
    return new Child(child, result);
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
