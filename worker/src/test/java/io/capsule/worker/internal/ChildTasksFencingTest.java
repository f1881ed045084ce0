package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capsule.protocol.ByteSize;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.ScriptRef;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import io.capsule.sandbox.TaskCall;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * A parent's sub-tasks are outputs of its record: a parent whose record was lost (a zombie, frozen
 * past its session, awake) starts none; a held one sends each child's request only once the broker
 * has its {@code queued} event.
 */
class ChildTasksFencingTest {
  private static final Duration BOUND = Duration.ofSeconds(10);

  private final MockOutputs outputs = new MockOutputs();
  private final Lease lease = new Lease(Duration.ofSeconds(3));
  private final ChildTasks children =
      new ChildTasks(
          outputs.publisher,
          new EventRecorder(outputs.publisher, outputs.ledger),
          outputs.ledger,
          new Admission(4, 1L << 30),
          MockOutputs.TOPICS,
          new ChildTasks.Limits(
              10, 3, ByteSize.parse("64MB"), Duration.ofSeconds(30), Path.of("target")),
          new OutputFence(outputs.metrics));

  private TaskItem parent() {
    TaskItem item =
        Tasks.item(TaskRequest.of(ScriptRef.inline("a.js", "x"), List.of(), TaskOptions.NONE));
    item.fencedBy(lease.claim(item.partition()));
    return item;
  }

  private static TaskCall call() {
    return new TaskCall(TaskOptions.NONE, List.of());
  }

  @Test
  void aParentWhoseRecordWasLostStartsNoSubTask() {
    lease.confirmed(lease.now());
    TaskItem parent = parent();
    lease.revoke(List.of(parent.partition())); // frozen while it ran; its successor took over

    CompletableFuture<ResultEnvelope> child;
    try (ChildTasks.ParentRunner runner = children.forParent(parent, TaskOptions.NONE)) {
      child = runner.start(call());
      assertThat(child).failsWithin(BOUND);
    }

    assertThat(outputs.sent()).as("no queued event, no request").isEmpty();
    assertThat(outputs.metrics.registry().counter("capsule.outputs.fenced", "level", "low").count())
        .isEqualTo(1.0);
  }

  @Test
  void aParentWhoseLeaseIsStaleStartsItsChildOnceItsHolderConfirmsIt() {
    TaskItem parent = parent(); // never confirmed: the coordinator was away
    ChildTasks.ParentRunner runner = children.forParent(parent, TaskOptions.NONE);

    CompletableFuture<CompletableFuture<ResultEnvelope>> starting =
        CompletableFuture.supplyAsync(() -> runner.start(call()));
    await().atMost(BOUND).until(() -> lease.confirmationDue(false));
    assertThat(outputs.sent()).as("nothing while the lease is unconfirmed").isEmpty();
    lease.confirmed(lease.now());

    await().atMost(BOUND).until(() -> outputs.sent().size() == 1);
    assertThat(starting.join()).isNotDone();
  }

  @Test
  void aChildsRequestFollowsItsQueuedEventOnceTheBrokerHasIt() {
    lease.confirmed(lease.now());
    TaskItem parent = parent();
    ChildTasks.ParentRunner runner = children.forParent(parent, TaskOptions.NONE);

    CompletableFuture<ResultEnvelope> child = runner.start(call());

    assertThat(outputs.topicsSent()).containsExactly(MockOutputs.TOPICS.events());
    LifecycleEvent queued = outputs.first(MockOutputs.TOPICS.events(), LifecycleEvent.class);
    assertThat(queued.state()).isEqualTo(TaskState.QUEUED);
    outputs.ackAll();

    await().atMost(BOUND).until(() -> outputs.sent().size() == 2);
    ProducerRecord<String, byte[]> request = outputs.sent().get(1);
    TaskRequest sent = outputs.first(request.topic(), TaskRequest.class);
    assertThat(sent.id()).isEqualTo(queued.taskId());
    assertThat(sent.parentId()).isEqualTo(parent.request().id());
    assertThat(child).as("awaits the child's final event").isNotDone();
  }
}
