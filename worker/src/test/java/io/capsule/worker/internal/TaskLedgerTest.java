package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.protocol.ErrorType;
import io.capsule.protocol.Execution;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskState;
import java.util.List;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.junit.jupiter.api.Test;

class TaskLedgerTest {
  private final TaskLedger ledger = new TaskLedger(new MockConsumer<>("earliest"), "events");

  @Test
  void aRecordWrittenBeforeTheTaskEndedIsAlreadyHandled() {
    ledger.note(LifecycleEvent.of("a", TaskState.SUCCEEDED, "low", 1, "w"), 2_000);
    assertThat(ledger.alreadyHandled("a", 1, 1_000)).isTrue();
  }

  @Test
  void aReplayWrittenAfterTheTaskEndedRunsAgain() {
    ledger.note(LifecycleEvent.of("a", TaskState.DEAD_LETTERED, "low", 3, "w"), 2_000);
    assertThat(ledger.alreadyHandled("a", 1, 3_000)).isFalse();
  }

  @Test
  void aRetriedAttemptIsHandledButTheNextAttemptIsNot() {
    ledger.note(LifecycleEvent.of("a", TaskState.RETRYING, "low", 1, "w"), 2_000);
    assertThat(ledger.alreadyHandled("a", 1, 1_000)).isTrue();
    assertThat(ledger.alreadyHandled("a", 2, 1_999)).isFalse();
  }

  @Test
  void aTaskWhoseWorkerDiedWhileRunningRunsAgain() {
    ledger.note(LifecycleEvent.of("a", TaskState.RUNNING, "low", 1, "dead"), 2_000);
    assertThat(ledger.alreadyHandled("a", 1, 1_000)).isFalse();
    assertThat(ledger.alreadyHandled("unknown", 1, 1_000)).isFalse();
  }

  @Test
  void unfinishedDeliveriesAreTheLatestRunningEventsDeliveryOfThatAttempt() {
    ledger.note(LifecycleEvent.of("a", TaskState.RUNNING, "low", 1, "dead-1"), 2_000, 2);
    assertThat(ledger.unfinishedDeliveries("a", 1, 1_000)).isEqualTo(2);
    assertThat(ledger.unfinishedDeliveries("a", 2, 1_000)).isZero();
    assertThat(ledger.unfinishedDeliveries("a", 1, 3_000)).as("a replay written later").isZero();
    assertThat(ledger.unfinishedDeliveries("unknown", 1, 1_000)).isZero();
  }

  @Test
  void aRunningEventWithoutADeliveryCountsAsOneAndAnOutcomeEndsTheCount() {
    ledger.note(LifecycleEvent.of("a", TaskState.RUNNING, "low", 1, "old-worker"), 2_000);
    assertThat(ledger.unfinishedDeliveries("a", 1, 1_000)).isEqualTo(1);
    ledger.note(LifecycleEvent.of("a", TaskState.RETRYING, "low", 1, "w"), 2_500);
    assertThat(ledger.unfinishedDeliveries("a", 1, 1_000)).isZero();
  }

  @Test
  void awaitFinalCompletesWithTheEnvelopeOfTheFirstTerminalEvent() {
    var future = ledger.awaitFinal("child-1");
    ledger.note(LifecycleEvent.of("child-1", TaskState.RUNNING, "low", 1, "w"), 10);
    assertThat(future).isNotDone();
    ResultEnvelope envelope =
        ResultEnvelope.failure(
                ErrorType.TASK_ERROR, "broke", new Execution("child", 1, 0, 0, 0, List.of()))
            .withTask("child-1", 1, "w");
    ledger.note(
        LifecycleEvent.finalOf("child-1", TaskState.DEAD_LETTERED, "low", "w", envelope), 20);
    assertThat(future).isCompletedWithValue(envelope);
  }

  @Test
  void awaitTerminalCarriesWhatTheChildLeftOfItsTreeBudget() {
    var terminal = ledger.awaitTerminal("child-2");
    ResultEnvelope ok =
        ResultEnvelope.success(null, new Execution("child", 1, 0, 0, 0, List.of()))
            .withTask("child-2", 1, "w");
    LifecycleEvent done =
        LifecycleEvent.finalOf("child-2", TaskState.SUCCEEDED, "low", "w", ok)
            .withTreeBudgetLeft(7);
    ledger.note(done, 30);
    assertThat(terminal).isCompletedWithValue(done);
  }
}
