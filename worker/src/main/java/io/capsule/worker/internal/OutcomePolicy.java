package io.capsule.worker.internal;

import io.capsule.protocol.DeadLetter;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskRequest;

/**
 * Decides what follows an attempt: success is final; a failure of a retryable type with attempts
 * left (the request's {@code max_retries}, never more than the policy's ceiling) is retried;
 * anything else is dead-lettered, with the reason why.
 */
public final class OutcomePolicy {
  /** The dead-letter reason of a failure whose type is never retried (or that must not be). */
  public static final String NOT_RETRYABLE = "not_retryable";

  /** The dead-letter reason of a task whose deliveries kept ending with their worker gone. */
  public static final String DELIVERY_LIMIT = "delivery_limit";

  /** What follows an attempt. */
  public enum Next {
    /** The envelope is final and successful. */
    SUCCEED,
    /** The next attempt is published. */
    RETRY,
    /** The envelope is final; the request goes to the dead-letter topic. */
    DEAD_LETTER
  }

  /**
   * A decision.
   *
   * @param next what follows
   * @param reason the dead-letter reason ({@code null} unless {@link Next#DEAD_LETTER})
   */
  public record Verdict(Next next, String reason) {}

  private final Integer maxRetriesCeiling;

  /** Retries within {@code ceiling}'s {@code max_retries} (none: the request's own). */
  public OutcomePolicy(OperatorCeiling ceiling) {
    this.maxRetriesCeiling = ceiling.maxRetries();
  }

  /**
   * What follows {@code request}'s attempt that ended with {@code envelope}; {@code finalReason}
   * (may be {@code null}) forbids a retry whatever the error type.
   */
  public Verdict decide(TaskRequest request, ResultEnvelope envelope, String finalReason) {
    if (envelope.success()) {
      return new Verdict(Next.SUCCEED, null);
    }
    ErrorType type = envelope.error().errorType();
    if (finalReason != null) {
      return new Verdict(Next.DEAD_LETTER, finalReason);
    }
    if (type.retryable() && request.attempt() <= maxRetries(request)) {
      return new Verdict(Next.RETRY, null);
    }
    return new Verdict(
        Next.DEAD_LETTER, type.retryable() ? DeadLetter.RETRIES_EXHAUSTED : NOT_RETRYABLE);
  }

  /** The request's retries, never more than the policy's ceiling (retries are the worker's). */
  int maxRetries(TaskRequest request) {
    int declared = request.options().maxRetriesOrDefault();
    return maxRetriesCeiling == null ? declared : Math.min(declared, maxRetriesCeiling);
  }
}
