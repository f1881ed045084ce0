package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * A record on the dead-letter topic ({@code capsule.dlq/v1}), keyed by task id (or the original key
 * of an unreadable record). Either the failed request with its last envelope, or the raw bytes of a
 * record that could not be read with the reason.
 *
 * @param schema always {@value #SCHEMA}
 * @param taskId the task id, or the original record key, or {@code null}
 * @param reason why it is here: {@code retries_exhausted}, {@code not_retryable} or {@code
 *     unreadable}
 * @param errorType the error type of the last attempt, or {@code invalid_request} when unreadable
 * @param message a one-line explanation
 * @param request the failed request (absent when unreadable)
 * @param envelope the last envelope (absent when unreadable)
 * @param raw the unreadable record's value bytes (base64 on the wire), or {@code null}
 * @param source where it came from: {@code topic/partition/offset}
 * @param at epoch milliseconds when it was dead-lettered
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DeadLetter(
    @JsonProperty("schema") String schema,
    @JsonProperty("task_id") String taskId,
    @JsonProperty("reason") String reason,
    @JsonProperty("error_type") ErrorType errorType,
    @JsonProperty("message") String message,
    @JsonProperty("request") TaskRequest request,
    @JsonProperty("envelope") ResultEnvelope envelope,
    @JsonProperty("raw") byte[] raw,
    @JsonProperty("source") String source,
    @JsonProperty("at") long at) {

  /** The schema name of this version. */
  public static final String SCHEMA = "capsule.dlq/v1";

  /** The reason for a task whose retries ran out. */
  public static final String RETRIES_EXHAUSTED = "retries_exhausted";

  /** The reason for a record that could not be read. */
  public static final String UNREADABLE = "unreadable";

  /** Validates the required fields. */
  public DeadLetter {
    schema = SCHEMA;
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(errorType, "error_type");
  }

  /** A task whose final attempt failed. */
  public static DeadLetter failed(TaskRequest request, ResultEnvelope envelope, String source) {
    return new DeadLetter(
        SCHEMA,
        request.id(),
        RETRIES_EXHAUSTED,
        envelope.error().errorType(),
        envelope.error().message(),
        request,
        envelope,
        null,
        source,
        System.currentTimeMillis());
  }

  /** A record that could not be read as a task request. */
  public static DeadLetter unreadable(String key, byte[] raw, String why, String source) {
    return new DeadLetter(
        SCHEMA,
        key,
        UNREADABLE,
        ErrorType.INVALID_REQUEST,
        why,
        null,
        null,
        raw,
        source,
        System.currentTimeMillis());
  }

  /** Whether it can be replayed (it holds a readable request). */
  public boolean replayable() {
    return request != null;
  }
}
