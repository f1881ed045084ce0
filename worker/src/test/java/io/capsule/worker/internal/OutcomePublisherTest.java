package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.capsule.protocol.DeadLetter;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.Execution;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class OutcomePublisherTest {
  private final MockOutputs outputs = new MockOutputs();

  private static AttemptResult failed(ErrorType type) {
    return new AttemptResult(
        ResultEnvelope.failure(type, "it broke", Execution.none("main")), null);
  }

  private static AttemptResult succeeded() {
    return new AttemptResult(
        ResultEnvelope.success(IntNode.valueOf(5), Execution.none("main")), null);
  }

  private CompletableFuture<Void> publish(TaskItem item, AttemptResult attempted) {
    return outputs.outcomes.publish(item, attempted, CompletableFuture.completedFuture(null));
  }

  @Test
  void aSuccessPublishesTheEnvelopeAndASucceededEventAndCompletesOnceBothAreAcknowledged() {
    TaskItem item = Tasks.item(Tasks.withRetries(2));
    AttemptResult ok =
        new AttemptResult(ResultEnvelope.success(IntNode.valueOf(5), Execution.none("main")), null);

    CompletableFuture<Void> done = publish(item, ok);

    assertThat(outputs.topicsSent())
        .containsExactlyInAnyOrder(MockOutputs.TOPICS.results(), MockOutputs.TOPICS.events());
    assertThat(outputs.first(MockOutputs.TOPICS.events(), LifecycleEvent.class).state())
        .isEqualTo(TaskState.SUCCEEDED);
    assertThat(done).isNotDone();
    outputs.ackAll();
    assertThat(done).isCompleted();
  }

  @Test
  void aRetryableFailureWithAttemptsLeftPublishesTheNextAttemptLaterOnItsOwnLevelTopic() {
    TaskRequest request = Tasks.withRetries(2);
    long before = System.currentTimeMillis();

    CompletableFuture<Void> done = publish(Tasks.item(request), failed(ErrorType.TIMEOUT));
    outputs.ackAll(); // the retrying event: the next attempt's request follows it

    await().atMost(Duration.ofSeconds(10)).until(() -> outputs.sent().size() == 2);
    assertThat(outputs.topicsSent()).containsExactly(MockOutputs.TOPICS.events(), MockOutputs.LOW);
    TaskRequest next = outputs.first(MockOutputs.LOW, TaskRequest.class);
    assertThat(next.id()).isEqualTo(request.id());
    assertThat(next.attempt()).isEqualTo(2);
    assertThat(next.notBefore()).isGreaterThanOrEqualTo(before + 2_500); // half of 5 s at least
    LifecycleEvent retrying = outputs.first(MockOutputs.TOPICS.events(), LifecycleEvent.class);
    assertThat(retrying.state()).isEqualTo(TaskState.RETRYING);
    assertThat(retrying.errorType()).isEqualTo(ErrorType.TIMEOUT);
    outputs.ackAll();
    assertThat(done).succeedsWithin(Duration.ofSeconds(10));
  }

  @Test
  void exhaustedRetriesPublishTheFinalEnvelopeADeadLetteredEventAndADeadLetter() {
    TaskRequest last = Tasks.withRetries(1).nextAttempt(0);

    publish(Tasks.item(last), failed(ErrorType.TASK_ERROR));

    assertThat(outputs.topicsSent())
        .containsExactlyInAnyOrder(
            MockOutputs.TOPICS.results(),
            MockOutputs.TOPICS.events(),
            MockOutputs.TOPICS.deadLetters());
    ResultEnvelope envelope = outputs.first(MockOutputs.TOPICS.results(), ResultEnvelope.class);
    assertThat(envelope.success()).isFalse();
    assertThat(envelope.execution().retries()).isEqualTo(1);
    assertThat(outputs.first(MockOutputs.TOPICS.events(), LifecycleEvent.class).state())
        .isEqualTo(TaskState.DEAD_LETTERED);
    DeadLetter letter = outputs.first(MockOutputs.TOPICS.deadLetters(), DeadLetter.class);
    assertThat(letter.reason()).isEqualTo(DeadLetter.RETRIES_EXHAUSTED);
    assertThat(letter.source()).isEqualTo(MockOutputs.LOW + "/0/7");
    assertThat(outputs.schemaOf(MockOutputs.TOPICS.deadLetters())).isEqualTo(DeadLetter.SCHEMA);
  }

  @Test
  void aFailureNeverRetriedIsDeadLetteredWithRetriesLeft() {
    publish(Tasks.item(Tasks.withRetries(5)), failed(ErrorType.FUEL_EXHAUSTED));

    assertThat(outputs.topicsSent()).doesNotContain(MockOutputs.LOW);
    assertThat(outputs.first(MockOutputs.TOPICS.deadLetters(), DeadLetter.class).reason())
        .isEqualTo(OutcomePolicy.NOT_RETRYABLE);
  }

  @Test
  void theLedgerKnowsTheOutcomeAsSoonAsItIsPublished() {
    TaskItem item = Tasks.item(Tasks.request());
    TaskRequest request = item.request();
    assertThat(outputs.ledger.alreadyHandled(request.id(), 1, item.timestamp())).isFalse();

    publish(item, failed(ErrorType.WASM_ERROR));

    assertThat(outputs.ledger.alreadyHandled(request.id(), 1, item.timestamp())).isTrue();
  }

  @Test
  void anAbandonedItemPublishesNothing() {
    TaskItem item = Tasks.item(Tasks.request());
    item.abandon();

    CompletableFuture<Void> done = publish(item, failed(ErrorType.TIMEOUT));

    assertThat(done).isCompleted();
    assertThat(outputs.sent()).isEmpty();
  }

  @Test
  void aFailedSendIsSentAgainAloneUntilAcknowledged() {
    CompletableFuture<Void> done = publish(Tasks.item(Tasks.request()), succeeded());
    assertThat(outputs.sent()).hasSize(2);
    String failedTopic = outputs.sent().get(0).topic();

    outputs.producer.errorNext(new org.apache.kafka.common.errors.TimeoutException("no broker"));
    outputs.ackAll();

    // only the failed output again: the acknowledged one is not written a second time
    await().atMost(Duration.ofSeconds(10)).until(() -> outputs.sent().size() == 3);
    assertThat(outputs.sent().get(2).topic()).isEqualTo(failedTopic);
    assertThat(done).isNotDone();
    outputs.ackAll();
    await().atMost(Duration.ofSeconds(5)).until(done::isDone);
    assertThat(done).isCompleted();
  }

  @Test
  void onceClosedAFailedRoundFailsTheOutcome() {
    CompletableFuture<Void> done = publish(Tasks.item(Tasks.request()), succeeded());
    outputs.retrying.close();

    outputs.producer.errorNext(new org.apache.kafka.common.errors.TimeoutException("no broker"));
    outputs.ackAll();

    assertThat(done).isCompletedExceptionally();
    assertThat(outputs.sent()).hasSize(2);
  }

  @Test
  void aResultTooLargeForARecordIsDeadLetteredAsATaskErrorAndEveryRecordFits() {
    AttemptResult huge =
        new AttemptResult(
            ResultEnvelope.success(
                TextNode.valueOf("a".repeat(1024 * 1024)), Execution.none("main")),
            null);

    publish(Tasks.item(Tasks.withRetries(3)), huge);

    assertThat(outputs.topicsSent())
        .containsExactlyInAnyOrder(
            MockOutputs.TOPICS.results(),
            MockOutputs.TOPICS.events(),
            MockOutputs.TOPICS.deadLetters());
    assertThat(outputs.sent())
        .allSatisfy(r -> assertThat(r.value().length).isLessThan(1024 * 1024));
    ResultEnvelope envelope = outputs.first(MockOutputs.TOPICS.results(), ResultEnvelope.class);
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TASK_ERROR);
    assertThat(envelope.error().message()).startsWith("result: the envelope would be");
    assertThat(outputs.first(MockOutputs.TOPICS.deadLetters(), DeadLetter.class).reason())
        .isEqualTo(OutcomePolicy.NOT_RETRYABLE);
  }
}
