package io.capsule.worker.internal;

import io.capsule.protocol.ErrorType;
import io.capsule.protocol.Execution;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskRequest;

/**
 * What one attempt came to, as {@link OutcomePolicy} needs it.
 *
 * @param envelope the attempt's envelope
 * @param finalReason the dead-letter reason when it must not be retried whatever its error type
 *     ({@code null}: decided by the type)
 * @param treeBudgetLeft what the attempt left of its tree's sub-task budget, {@code null} when
 *     unknown
 */
record AttemptResult(ResultEnvelope envelope, String finalReason, Integer treeBudgetLeft) {
  AttemptResult(ResultEnvelope envelope, String finalReason) {
    this(envelope, finalReason, null);
  }

  /** A failure of {@code request} with no execution to report. */
  static ResultEnvelope failure(TaskRequest request, ErrorType type, String message) {
    return ResultEnvelope.failure(type, message, Execution.none(request.task()));
  }

  /** A failed attempt, retried or not by its type. */
  static AttemptResult failed(TaskRequest request, ErrorType type, String message) {
    return new AttemptResult(failure(request, type, message), null);
  }
}
