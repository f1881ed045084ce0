package io.capsule.worker.internal;

import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.DeadLetter;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.Execution;
import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskRequest;
import java.util.List;

/**
 * Decides what follows an attempt: success is final; a failure of a retryable type with attempts
 * left (the request's {@code max_retries}, never more than the policy's ceiling) is retried;
 * anything else is dead-lettered, with the reason why. An envelope too large to publish becomes a
 * failure that says so ({@link #deliverable}).
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

  /**
   * Room left in a record for what surrounds an envelope: the final event and the dead letter carry
   * the envelope too, with the event's fields or the request and the record's headers.
   */
  public static final int RECORD_ROOM = 64 * 1024;

  private final Integer maxRetriesCeiling;
  private final int maxEnvelopeBytes;

  /**
   * Retries within {@code ceiling}'s {@code max_retries} (none: the request's own); envelopes whose
   * JSON is over {@code maxEnvelopeBytes} are not published as they are.
   */
  public OutcomePolicy(OperatorCeiling ceiling, int maxEnvelopeBytes) {
    if (maxEnvelopeBytes <= 0) {
      throw new IllegalArgumentException("maxEnvelopeBytes must be positive: " + maxEnvelopeBytes);
    }
    this.maxRetriesCeiling = ceiling.maxRetries();
    this.maxEnvelopeBytes = maxEnvelopeBytes;
  }

  /**
   * The envelopes of a worker that can publish envelope records of up to {@code
   * maxEnvelopeRecordBytes} (the smallest of the results and events topics' {@code
   * max.message.bytes} and its producer's {@code max.request.size}, see {@link
   * KafkaClients#maxEnvelopeRecordBytes()}): at most that less {@link #RECORD_ROOM}. Not the
   * producer's limit alone: it is larger, so that a dead letter (a request and an envelope) fits.
   */
  public static OutcomePolicy forRecordsOf(OperatorCeiling ceiling, int maxEnvelopeRecordBytes) {
    return new OutcomePolicy(ceiling, Math.max(maxEnvelopeRecordBytes - RECORD_ROOM, RECORD_ROOM));
  }

  /**
   * The attempt as it can be published. An envelope whose JSON is over the limit (a result or logs
   * too large for a Kafka record) would be refused by the producer on every try, so the task would
   * never end and its record never be committed: it becomes a {@code task_error} naming both sizes,
   * never retried (the task would answer the same), with the attempt's measurements.
   */
  public AttemptResult deliverable(AttemptResult attempted) {
    return deliverable(attempted, CapsuleJson.writeBytes(attempted.envelope()).length);
  }

  /**
   * {@link #deliverable(AttemptResult)} of an attempt whose envelope was already written, as {@code
   * bytes} bytes of JSON (the publisher writes it once, for the check and the records).
   */
  public AttemptResult deliverable(AttemptResult attempted, int bytes) {
    ResultEnvelope envelope = attempted.envelope();
    if (bytes <= maxEnvelopeBytes) {
      return attempted;
    }
    Execution measured = envelope.execution();
    String message =
        "result: the envelope would be "
            + bytes
            + " bytes, over the "
            + maxEnvelopeBytes
            + " bytes this worker can publish (the results and events topics' max.message.bytes"
            + " less "
            + RECORD_ROOM
            + "); return a smaller result or write less output";
    ResultEnvelope tooLarge =
        ResultEnvelope.failure(
                ErrorType.TASK_ERROR,
                message,
                new Execution(
                    measured.taskName(),
                    measured.durationMs(),
                    measured.retries(),
                    measured.fuelConsumed(),
                    measured.ramUsed(),
                    List.of()))
            .withTask(envelope.taskId(), envelope.attempt(), envelope.worker());
    return new AttemptResult(tooLarge, NOT_RETRYABLE, attempted.treeBudgetLeft());
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
