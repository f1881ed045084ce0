package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * Twin retries: an attempt that ran twice (on a zombie and on its successor) published its next
 * attempt twice; both records are first deliveries, and the second must not run once the first has
 * ended the task.
 */
class RedeliveriesTest {
  private final TaskLedger ledger = new TaskLedger(new MockConsumer<>("earliest"), "events");
  private final Redeliveries redeliveries = new Redeliveries(ledger, 3);

  private static TaskItem first(TaskRequest request, long timestamp) {
    return new TaskItem(
        new TopicPartition(MockOutputs.LOW, 0),
        9,
        timestamp,
        "low",
        request,
        64 * Tasks.MIB,
        null,
        TaskItem.Delivery.FIRST);
  }

  @Test
  void theTwinOfARetryThatAlreadyEndedTheTaskIsSkipped() {
    TaskRequest third = Tasks.withRetries(2).nextAttempt(0).nextAttempt(0);
    ledger.note(LifecycleEvent.of(third.id(), TaskState.DEAD_LETTERED, "low", 3, "w"), 2_000);

    assertThat(redeliveries.handledBefore(first(third, 1_500))).isTrue();
  }

  @Test
  void aRetryIsRunWhenOnlyItsOwnAttemptsRetryingEventIsKnown() {
    TaskRequest second = Tasks.withRetries(2).nextAttempt(0);
    ledger.note(LifecycleEvent.of(second.id(), TaskState.RETRYING, "low", 1, "w"), 2_000);

    assertThat(redeliveries.handledBefore(first(second, 1_999))).isFalse();
  }

  @Test
  void aReplayOfAnEndedTaskWrittenAfterItsEndRuns() {
    TaskRequest third = Tasks.withRetries(2).nextAttempt(0).nextAttempt(0);
    ledger.note(LifecycleEvent.of(third.id(), TaskState.DEAD_LETTERED, "low", 3, "w"), 2_000);

    assertThat(redeliveries.handledBefore(first(third, 2_500))).isFalse();
  }

  @Test
  void aFirstAttemptsFirstDeliveryIsNeverCheckedAgainstTheLedger() {
    TaskRequest request = Tasks.request();
    ledger.note(LifecycleEvent.of(request.id(), TaskState.SUCCEEDED, "low", 1, "w"), 2_000);

    assertThat(redeliveries.handledBefore(first(request, 1_000))).isFalse();
  }
}
