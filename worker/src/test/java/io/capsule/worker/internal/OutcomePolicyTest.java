package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.IntNode;
import io.capsule.protocol.DeadLetter;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.Execution;
import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskRequest;
import io.capsule.worker.internal.OutcomePolicy.Next;
import io.capsule.worker.internal.OutcomePolicy.Verdict;
import org.junit.jupiter.api.Test;

class OutcomePolicyTest {
  private final OutcomePolicy policy = new OutcomePolicy(OperatorCeiling.NONE);

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
    OutcomePolicy capped = new OutcomePolicy(oneRetry);
    TaskRequest first = Tasks.withRetries(10);

    assertThat(capped.decide(first, failed(ErrorType.TIMEOUT), null).next()).isEqualTo(Next.RETRY);
    assertThat(capped.decide(first.nextAttempt(0), failed(ErrorType.TIMEOUT), null))
        .isEqualTo(new Verdict(Next.DEAD_LETTER, DeadLetter.RETRIES_EXHAUSTED));
  }
}
