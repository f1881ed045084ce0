package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.IntNode;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.Execution;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A zombie's outputs, over a {@link org.apache.kafka.clients.producer.MockProducer}: a record whose
 * partition was lost publishes nothing (outcome, retry, running event), one whose tenure is not yet
 * confirmed publishes once it is, and an attempt whose wall clock passed its timeout ends {@code
 * timeout}.
 */
class FencedOutputsTest {
  private static final Duration TERM = Duration.ofSeconds(3);

  private final MockOutputs outputs = new MockOutputs();
  private final AtomicLong clock = new AtomicLong(5_000_000_000L);
  private final Lease lease = new Lease(TERM, clock::get);
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stopTimer() {
    timer.shutdownNow();
  }

  private TaskItem fencedItem() {
    TaskItem item = Tasks.item(Tasks.withRetries(2));
    item.fencedBy(lease.claim(item.partition()));
    return item;
  }

  private static AttemptResult success(long durationMs) {
    return new AttemptResult(
        ResultEnvelope.success(
            IntNode.valueOf(5), Execution.none("main").withRetries(0, durationMs)),
        null);
  }

  private CompletableFuture<Void> publish(TaskItem item, AttemptResult attempted) {
    return outputs.outcomes.publish(item, attempted, CompletableFuture.completedFuture(null));
  }

  private double fenced() {
    return outputs.metrics.registry().counter("capsule.outputs.fenced", "level", "low").count();
  }

  @Test
  void aRecordWhosePartitionWasLostPublishesNoOutcomeAndIsNotSentAgain() {
    lease.confirmed(lease.now());
    TaskItem item = fencedItem();
    lease.revoke(List.of(item.partition()));

    CompletableFuture<Void> done = publish(item, success(10));

    assertThat(outputs.sent()).isEmpty();
    assertThat(done).isCompletedExceptionally();
    assertThat(OutputsFencedException.isLost(done.handle((ok, e) -> e).join())).isTrue();
    assertThat(fenced()).as("the envelope and the final event").isEqualTo(2.0);
  }

  @Test
  void aRetryOfALostRecordIsNotPublishedEither() {
    lease.confirmed(lease.now());
    TaskItem item = fencedItem();
    lease.revoke(List.of(item.partition()));

    publish(
        item,
        new AttemptResult(
            ResultEnvelope.failure(ErrorType.TASK_ERROR, "boom", Execution.none("main")), null));

    assertThat(outputs.sent()).as("no retry request, no retrying event").isEmpty();
  }

  @Test
  void aZombieWakingPastItsTermWaitsForTheHolderAndPublishesNothingOnceItLearnsOfTheLoss() {
    lease.confirmed(lease.now());
    TaskItem item = fencedItem();
    clock.addAndGet(Duration.ofSeconds(90).toNanos()); // SIGSTOP for 90 s

    CompletableFuture<CompletableFuture<Void>> publishing =
        CompletableFuture.supplyAsync(() -> publish(item, success(10)));
    await().atMost(Duration.ofSeconds(10)).until(() -> lease.confirmationDue(false));
    assertThat(outputs.sent()).as("nothing sent while the tenure is unconfirmed").isEmpty();
    lease.revoke(List.of(item.partition())); // the poll thread's next poll: partitions lost

    assertThat(publishing.join()).isCompletedExceptionally();
    assertThat(outputs.sent()).isEmpty();
  }

  @Test
  void aStaleButStillHeldRecordPublishesOnceItsHolderConfirmsIt() {
    TaskItem item = fencedItem(); // never confirmed yet

    CompletableFuture<CompletableFuture<Void>> publishing =
        CompletableFuture.supplyAsync(() -> publish(item, success(10)));
    await().atMost(Duration.ofSeconds(10)).until(() -> lease.confirmationDue(false));
    lease.confirmed(lease.now());

    await().atMost(Duration.ofSeconds(10)).until(() -> outputs.sent().size() == 2);
    outputs.ackAll();
    assertThat(publishing.join()).succeedsWithin(Duration.ofSeconds(10));
  }

  @Test
  void aRunningEventDueWhileTheRecordIsLostIsNeverSent() {
    lease.confirmed(lease.now());
    TaskItem item = fencedItem();
    RunningEvents running =
        new RunningEvents(
            new EventRecorder(outputs.publisher, outputs.ledger),
            timer,
            Duration.ofMillis(50),
            new OutputFence(outputs.metrics));
    LifecycleEvent event = outputs.outcomes.event(item, TaskState.RUNNING);

    lease.revoke(List.of(item.partition())); // frozen while it ran; its successor took over
    RunningEvents.Notice notice = running.start(item, event, 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> fenced() == 1.0);

    assertThat(notice.finish()).isCompleted();
    assertThat(outputs.sent()).isEmpty();
  }

  @Test
  void aRunningEventDueDuringAFreezeIsDroppedOnWakingBeforeThePollThreadLearnsOfTheLoss()
      throws Exception {
    lease.confirmed(lease.now());
    TaskItem item = fencedItem();
    RunningEvents running =
        new RunningEvents(
            new EventRecorder(outputs.publisher, outputs.ledger),
            timer,
            Duration.ofMillis(50),
            new OutputFence(outputs.metrics));
    LifecycleEvent event = outputs.outcomes.event(item, TaskState.RUNNING);

    RunningEvents.Notice notice = running.start(item, event, 1);
    // SIGSTOP for 12 s, past the session: System.nanoTime keeps counting through it. On SIGCONT
    // the overdue timer runs first; the poll thread has not yet learnt the partition is gone, so
    // the claim's epoch is unchanged: only the confirmation's age stops the event.
    clock.addAndGet(Duration.ofSeconds(12).toNanos());
    timer.schedule(() -> null, 100, TimeUnit.MILLISECONDS).get(); // the timer ran the notice
    assertThat(outputs.sent()).isEmpty();

    lease.confirmed(lease.now()); // a later confirmation does not bring a dropped event back
    timer.schedule(() -> null, 100, TimeUnit.MILLISECONDS).get();
    assertThat(notice.finish()).isCompleted();
    assertThat(outputs.sent()).isEmpty();
  }

  @Test
  void theWorkerLearnsItsOutputTopicsBeforeItsFirstFenceCheck() {
    List<String> asked = new ArrayList<>();
    MockProducer<String, byte[]> producer =
        new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer()) {
          @Override
          public List<PartitionInfo> partitionsFor(String topic) {
            asked.add(topic);
            if (topic.equals("missing")) {
              throw new TimeoutException("no such topic within max.block.ms");
            }
            return List.of();
          }
        };

    OutputFence.knowTopics(producer, List.of("events", "missing", "results"));

    assertThat(asked)
        .as("a missing topic does not stop the others")
        .containsExactly("events", "missing", "results");
  }

  @Test
  void anAttemptWhoseWallClockPassedItsTimeoutEndsTimeoutNotSuccess() {
    lease.confirmed(lease.now());
    TaskItem item = fencedItem();
    item.runsUnder(Duration.ofSeconds(10));

    publish(item, success(90_100)); // ran 90 s, frozen, under a 10 s timeout
    outputs.ackAll(); // the retrying event: the retry request follows it

    await().atMost(Duration.ofSeconds(10)).until(() -> outputs.sent().size() == 2);
    assertThat(outputs.topicsSent())
        .as("a timeout with retries left is retried, not succeeded")
        .containsExactly(MockOutputs.TOPICS.events(), MockOutputs.LOW);
    LifecycleEvent retrying = outputs.first(MockOutputs.TOPICS.events(), LifecycleEvent.class);
    assertThat(retrying.state()).isEqualTo(TaskState.RETRYING);
    assertThat(retrying.errorType()).isEqualTo(ErrorType.TIMEOUT);
    assertThat(retrying.message())
        .contains("timeout of 10s")
        .contains("90100 ms on the wall clock");
  }

  @Test
  void anAttemptWithinItsTimeoutKeepsItsOutcome() {
    TaskItem item = Tasks.item(Tasks.request());
    item.runsUnder(Duration.ofSeconds(10));
    ResultEnvelope ok = success(9_000).envelope();

    assertThat(OutcomePublisher.onTheWallClock(item, ok)).isSameAs(ok);
  }

  @Test
  void theTimeSinceTheAttemptEndedCountsTowardsItsTimeout() {
    TaskItem item = Tasks.item(Tasks.request());
    item.runsUnder(Duration.ofMillis(1));
    item.stoppedRunning();
    ResultEnvelope ok = success(0).envelope();

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !OutcomePublisher.onTheWallClock(item, ok).success());
    assertThat(OutcomePublisher.onTheWallClock(item, ok).error().errorType())
        .isEqualTo(ErrorType.TIMEOUT);
  }
}
