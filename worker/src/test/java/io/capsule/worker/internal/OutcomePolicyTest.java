package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.capsule.protocol.DeadLetter;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.Execution;
import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskRequest;
import io.capsule.worker.internal.OutcomePolicy.Next;
import io.capsule.worker.internal.OutcomePolicy.Verdict;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutcomePolicyTest {
  private final OutcomePolicy policy =
      OutcomePolicy.forRecordsOf(OperatorCeiling.NONE, 1024 * 1024);

  private static ResultEnvelope failed(ErrorType type) {
    return ResultEnvelope.failure(type, "it broke", Execution.none("main"));
  }

  @Test
  void aSuccessIsFinalEvenWithRetriesLeft() {
    ResultEnvelope ok = ResultEnvelope.success(IntNode.valueOf(1), Execution.none("main"));

    assertThat(policy.decide(Tasks.withRetries(3), ok, null))
        .isEqualTo(new Verdict(Next.SUCCEED, null));
  }

  @Test
  void aRetryableFailureIsRetriedWhileAttemptsAreLeft() {
    TaskRequest first = Tasks.withRetries(2);
    TaskRequest second = first.nextAttempt(0);
    TaskRequest third = second.nextAttempt(0);

    assertThat(policy.decide(first, failed(ErrorType.TIMEOUT), null).next()).isEqualTo(Next.RETRY);
    assertThat(policy.decide(second, failed(ErrorType.TASK_ERROR), null).next())
        .isEqualTo(Next.RETRY);
    assertThat(policy.decide(third, failed(ErrorType.TIMEOUT), null))
        .isEqualTo(new Verdict(Next.DEAD_LETTER, DeadLetter.RETRIES_EXHAUSTED));
  }

  @Test
  void aFailureOfATypeNeverRetriedIsDeadLetteredAtOnce() {
    for (ErrorType type :
        new ErrorType[] {
          ErrorType.FUEL_EXHAUSTED,
          ErrorType.MEMORY_LIMIT,
          ErrorType.WASM_ERROR,
          ErrorType.PERMISSION_DENIED,
          ErrorType.INVALID_MODULE,
          ErrorType.INVALID_REQUEST
        }) {
      assertThat(policy.decide(Tasks.withRetries(5), failed(type), null))
          .as(type.wireName())
          .isEqualTo(new Verdict(Next.DEAD_LETTER, OutcomePolicy.NOT_RETRYABLE));
    }
  }

  @Test
  void aFinalReasonForbidsARetryWhateverTheType() {
    assertThat(
            policy.decide(
                Tasks.withRetries(5),
                failed(ErrorType.INTERNAL_ERROR),
                OutcomePolicy.DELIVERY_LIMIT))
        .isEqualTo(new Verdict(Next.DEAD_LETTER, OutcomePolicy.DELIVERY_LIMIT));
  }

  @Test
  void withoutMaxRetriesAFailureIsNotRetried() {
    assertThat(policy.decide(Tasks.request(), failed(ErrorType.TIMEOUT), null))
        .isEqualTo(new Verdict(Next.DEAD_LETTER, DeadLetter.RETRIES_EXHAUSTED));
  }

  @Test
  void theOperatorCeilingCapsTheRequestsRetries() {
    OperatorCeiling oneRetry = new OperatorCeiling(null, null, null, 1, null, null, null, null);
    OutcomePolicy capped = OutcomePolicy.forRecordsOf(oneRetry, 1024 * 1024);
    TaskRequest first = Tasks.withRetries(10);

    assertThat(capped.decide(first, failed(ErrorType.TIMEOUT), null).next()).isEqualTo(Next.RETRY);
    assertThat(capped.decide(first.nextAttempt(0), failed(ErrorType.TIMEOUT), null))
        .isEqualTo(new Verdict(Next.DEAD_LETTER, DeadLetter.RETRIES_EXHAUSTED));
  }

  @Test
  void anEnvelopeTooLargeForARecordBecomesATaskErrorNamingBothSizesThatIsNeverRetried() {
    ResultEnvelope huge =
        ResultEnvelope.success(
                TextNode.valueOf("a".repeat(1024 * 1024)),
                new Execution("main", 12, 0, 345, 6, List.of()))
            .withTask("t-1", 1, "w-1");

    AttemptResult deliverable = policy.deliverable(new AttemptResult(huge, null, 3));

    ResultEnvelope envelope = deliverable.envelope();
    assertThat(envelope.success()).isFalse();
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.TASK_ERROR);
    assertThat(envelope.error().message())
        .startsWith("result: the envelope would be 1048")
        .contains("over the 983040 bytes this worker can publish");
    assertThat(envelope.execution().fuelConsumed()).isEqualTo(345);
    assertThat(envelope.taskId()).isEqualTo("t-1");
    assertThat(deliverable.finalReason()).isEqualTo(OutcomePolicy.NOT_RETRYABLE);
    assertThat(deliverable.treeBudgetLeft()).isEqualTo(3);
    assertThat(policy.decide(Tasks.withRetries(3), envelope, deliverable.finalReason()))
        .isEqualTo(new Verdict(Next.DEAD_LETTER, OutcomePolicy.NOT_RETRYABLE));
  }

  @Test
  void anEnvelopeThatFitsIsPublishedAsItIs() {
    AttemptResult small = new AttemptResult(failed(ErrorType.TIMEOUT), null);

    assertThat(policy.deliverable(small)).isSameAs(small);
  }
}
