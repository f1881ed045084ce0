package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.capsule.protocol.ErrorType;
import io.capsule.protocol.Execution;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A retry's {@code retrying} event reaches the broker before the next attempt's request is sent:
 * the next attempt may run on another worker, whose producer's events reach the events topic in no
 * order with this worker's, so a {@code retrying} event still on its way (its partition's leader
 * killed, its send failed and sent again) could land after the task's final event: the chaos run
 * found 26 tasks whose last state was {@code retrying}.
 */
class RetryOrderTest {
  private static final String EVENTS = MockOutputs.TOPICS.events();
  private static final Duration BOUND = Duration.ofSeconds(10);

  private final MockOutputs outputs = new MockOutputs();

  @AfterEach
  void stopRetrying() {
    outputs.retrying.close();
  }

  private CompletableFuture<Void> failAttempt() {
    TaskItem item = Tasks.item(Tasks.withRetries(2));
    return outputs.outcomes.publish(
        item,
        new AttemptResult(
            ResultEnvelope.failure(ErrorType.TASK_ERROR, "boom", Execution.none("main")), null),
        CompletableFuture.completedFuture(null));
  }

  @Test
  void theNextAttemptsRequestIsSentOnlyOnceTheRetryingEventIsAcknowledged() {
    CompletableFuture<Void> done = failAttempt();

    assertThat(outputs.topicsSent()).as("the retrying event alone").containsExactly(EVENTS);
    assertThat(outputs.first(EVENTS, LifecycleEvent.class).state()).isEqualTo(TaskState.RETRYING);
    outputs.ackAll();

    await().atMost(BOUND).until(() -> outputs.sent().size() == 2);
    assertThat(outputs.topicsSent()).containsExactly(EVENTS, MockOutputs.LOW);
    assertThat(outputs.first(MockOutputs.LOW, TaskRequest.class).attempt()).isEqualTo(2);
    assertThat(done).as("the request is not acknowledged yet").isNotDone();
    outputs.ackAll();
    assertThat(done).succeedsWithin(BOUND);
  }

  @Test
  void aRetryingEventSentAgainStillPrecedesTheRequest() {
    CompletableFuture<Void> done = failAttempt();
    // its partition's leader was killed: the send fails, and is sent again a second later
    outputs.producer.errorNext(new NotLeaderOrFollowerException("leader killed"));

    await().atMost(BOUND).until(() -> outputs.sent().size() == 2);
    assertThat(outputs.topicsSent())
        .as("no request while the retrying event is not on the broker")
        .containsExactly(EVENTS, EVENTS);
    outputs.ackAll();

    await().atMost(BOUND).until(() -> outputs.sent().size() == 3);
    assertThat(outputs.topicsSent()).containsExactly(EVENTS, EVENTS, MockOutputs.LOW);
    outputs.ackAll();
    assertThat(done).succeedsWithin(BOUND);
  }
}
