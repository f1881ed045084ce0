package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.DeadLetter;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.Execution;
import io.capsule.protocol.ResultEnvelope;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Outputs Kafka refuses as too large are never sent again as they are: a dead letter is sent cut to
 * its coordinates; anything else is dropped, counted, and its record settles.
 */
class OversizedOutputTest {
  private static final Duration BOUND = Duration.ofSeconds(10);

  private final MockOutputs outputs = new MockOutputs();

  private CompletableFuture<Void> publishFailure(TaskItem item, ErrorType type) {
    AttemptResult failed =
        new AttemptResult(
            ResultEnvelope.failure(type, "it broke: " + "x".repeat(10_000), Execution.none("main")),
            null);
    return outputs.outcomes.publish(item, failed, CompletableFuture.completedFuture(null));
  }

  private static RecordTooLargeException refused() {
    return new RecordTooLargeException(
        "The message is 2100000 bytes when serialized which is larger than 1048576");
  }

  @Test
  void aDeadLetterTooLargeForARecordIsSentWithoutItsBodiesNamingItsSource() {
    TaskItem item = Tasks.item(Tasks.withRetries(0));
    CompletableFuture<Void> done = publishFailure(item, ErrorType.WASM_ERROR);
    assertThat(outputs.topicsSent())
        .containsExactly(
            MockOutputs.TOPICS.results(),
            MockOutputs.TOPICS.events(),
            MockOutputs.TOPICS.deadLetters());

    outputs.producer.completeNext();
    outputs.producer.completeNext();
    outputs.producer.errorNext(refused());
    await().atMost(BOUND).until(() -> outputs.sent().size() == 4);
    outputs.ackAll();

    await().atMost(BOUND).until(done::isDone);
    assertThat(done).isCompleted();
    assertThat(outputs.sent()).hasSize(4);
    DeadLetter cut = letter(outputs.sent().get(3));
    assertThat(cut.replayable()).isFalse();
    assertThat(cut.bodiesOmitted()).isTrue();
    assertThat(cut.request()).isNull();
    assertThat(cut.envelope()).isNull();
    assertThat(cut.taskId()).isEqualTo(item.request().id());
    assertThat(cut.attempt()).isEqualTo(1);
    assertThat(cut.reason()).isEqualTo(OutcomePolicy.NOT_RETRYABLE);
    assertThat(cut.errorType()).isEqualTo(ErrorType.WASM_ERROR);
    assertThat(cut.source()).isEqualTo(MockOutputs.LOW + "/0/7").isEqualTo(item.source());
    assertThat(cut.message())
        .startsWith("it broke: xxx")
        .hasSize(DeadLetter.OMITTED_MESSAGE_CHARS + 7);
    assertThat(cut.omitted())
        .startsWith("request and envelope left out: the whole dead letter (")
        .contains("bytes) was refused as too large")
        .contains("RecordTooLargeException: The message is 2100000 bytes");
  }

  @Test
  void aRetryThatCanNeverFitItsTopicEndsTheTaskDeadLettered() {
    TaskItem item = Tasks.item(Tasks.withRetries(2));
    CompletableFuture<Void> done = publishFailure(item, ErrorType.TIMEOUT);
    assertThat(outputs.topicsSent()).containsExactly(MockOutputs.TOPICS.events());

    outputs.producer.completeNext(); // the retrying event: the request follows it
    await().atMost(BOUND).until(() -> outputs.sent().size() == 2);
    outputs.producer.errorNext(refused());
    await().atMost(BOUND).until(() -> outputs.sent().size() == 5);
    outputs.ackAll();

    await().atMost(BOUND).until(done::isDone);
    assertThat(done).isCompleted();
    assertThat(outputs.topicsSent())
        .containsExactly(
            MockOutputs.TOPICS.events(),
            MockOutputs.LOW,
            MockOutputs.TOPICS.results(),
            MockOutputs.TOPICS.events(),
            MockOutputs.TOPICS.deadLetters());
    DeadLetter letter = letter(outputs.sent().get(4));
    assertThat(letter.reason()).isEqualTo(DeadLetter.RETRY_TOO_LARGE);
    assertThat(letter.taskId()).isEqualTo(item.request().id());
    assertThat(letter.errorType()).isEqualTo(ErrorType.TIMEOUT);
    assertThat(letter.replayable()).isTrue();
    assertThat(new String(outputs.sent().get(3).value(), StandardCharsets.UTF_8))
        .contains("dead_lettered");
  }

  @Test
  void aDeadLetterTooLargeEvenWithoutItsBodiesIsDroppedAndTheRecordSettles() {
    CompletableFuture<Void> done =
        publishFailure(Tasks.item(Tasks.withRetries(0)), ErrorType.WASM_ERROR);
    outputs.producer.completeNext();
    outputs.producer.completeNext();
    outputs.producer.errorNext(refused());
    await().atMost(BOUND).until(() -> outputs.sent().size() == 4);

    outputs.producer.errorNext(refused());

    await().atMost(BOUND).until(done::isDone);
    assertThat(done).isCompleted();
    assertThat(outputs.sent()).hasSize(4);
    assertThat(outputs.metrics.scrape()).contains("capsule_outputs_dropped_total");
  }

  @Test
  void onlySizeErrorsCountAsNeverFitting() {
    assertThat(RetryingPublisher.neverFits(new CompletionException(refused()))).isTrue();
    assertThat(RetryingPublisher.neverFits(new TimeoutException("no broker"))).isFalse();
    assertThat(
            RetryingPublisher.neverFits(
                new org.apache.kafka.common.errors.TopicAuthorizationException("no rights")))
        .isFalse();
  }

  @Test
  void aTransientFailureOfADeadLetterIsNotCutButSentAgainWhole() {
    CompletableFuture<Void> done =
        publishFailure(Tasks.item(Tasks.withRetries(0)), ErrorType.WASM_ERROR);
    outputs.producer.completeNext();
    outputs.producer.completeNext();
    outputs.producer.errorNext(new TimeoutException("no broker"));

    // the dead letter alone again (the acknowledged envelope and event are not written twice)
    await().atMost(BOUND).until(() -> outputs.sent().size() == 4);
    outputs.ackAll();
    await().atMost(BOUND).until(done::isDone);
    assertThat(done).isCompleted();
    DeadLetter again = letter(outputs.sent().get(3));
    assertThat(again.bodiesOmitted()).isFalse();
    assertThat(again.replayable()).isTrue();
  }

  private static DeadLetter letter(ProducerRecord<String, byte[]> record) {
    assertThat(record.topic()).isEqualTo(MockOutputs.TOPICS.deadLetters());
    return CapsuleJson.read(new String(record.value(), StandardCharsets.UTF_8), DeadLetter.class);
  }
}
