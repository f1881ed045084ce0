package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * A record on the dead-letter topic ({@code capsule.dlq/v1}), keyed by task id (or the original key
 * of an unreadable record). Either the failed request with its last envelope, or the raw bytes of a
 * record that could not be read with the reason — or, when that letter was too large for a record,
 * the same letter without them ({@link #withoutBodies}), which names where the request is instead.
 *
 * @param schema always {@value #SCHEMA}
 * @param taskId the task id, or the original record key, or {@code null}
 * @param reason why it is here: {@code retries_exhausted}, {@code not_retryable}, {@code
 *     delivery_limit}, {@code retry_too_large} or {@code unreadable}
 * @param errorType the error type of the last attempt, or {@code invalid_request} when unreadable
 * @param message a one-line explanation
 * @param request the failed request (absent when unreadable or omitted)
 * @param envelope the last envelope (absent when unreadable or omitted)
 * @param raw the unreadable record's value bytes (base64 on the wire), or {@code null}
 * @param source where the failed request (or unreadable record) came from: {@code
 *     topic/partition/offset}
 * @param at epoch milliseconds when it was dead-lettered
 * @param attempt the failed attempt's number, or {@code null} when unreadable
 * @param omitted what was left out of this letter and why (it was too large for a record), or
 *     {@code null} for a whole letter
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
    @JsonProperty("at") long at,
    @JsonProperty("attempt") Integer attempt,
    @JsonProperty("omitted") String omitted) {

  /** The schema name of this version. */
  public static final String SCHEMA = "capsule.dlq/v1";

  /** The reason for a task whose retries ran out. */
  public static final String RETRIES_EXHAUSTED = "retries_exhausted";

  /** The reason for a record that could not be read. */
  public static final String UNREADABLE = "unreadable";

  /**
   * The reason for a task whose next attempt could not be queued: its request, re-written for the
   * next attempt, is over its level topic's record limit.
   */
  public static final String RETRY_TOO_LARGE = "retry_too_large";

  /** The most of the message a letter without bodies keeps, in characters. */
  public static final int OMITTED_MESSAGE_CHARS = 4096;

  /** Validates the required fields. */
  public DeadLetter {
    schema = SCHEMA;
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(errorType, "error_type");
  }

  /** A task whose final attempt failed after its retries. */
  public static DeadLetter failed(TaskRequest request, ResultEnvelope envelope, String source) {
    return failed(request, envelope, RETRIES_EXHAUSTED, source);
  }

  /**
   * A task whose final attempt failed, dead-lettered for {@code reason}; {@code source} is the
   * {@code topic/partition/offset} of the attempt's request record.
   */
  public static DeadLetter failed(
      TaskRequest request, ResultEnvelope envelope, String reason, String source) {
    return new DeadLetter(
        SCHEMA,
        request.id(),
        reason,
        envelope.error().errorType(),
        envelope.error().message(),
        request,
        envelope,
        null,
        source,
        System.currentTimeMillis(),
        request.attempt(),
        null);
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
        System.currentTimeMillis(),
        null,
        null);
  }

  /**
   * This letter without its request, envelope and raw bytes, and with its message cut to {@link
   * #OMITTED_MESSAGE_CHARS}: what is sent when the whole letter is too large for a record. It keeps
   * the task id, attempt, reason, error and {@link #source()} — where the request can still be read
   * until its topic's retention — and says in {@link #omitted()} what was left out and {@code why}.
   * Such a letter cannot be replayed.
   */
  public DeadLetter withoutBodies(String why) {
    Objects.requireNonNull(why, "why");
    return new DeadLetter(
        SCHEMA,
        taskId,
        reason,
        errorType,
        cut(message),
        null,
        null,
        null,
        source,
        at,
        attempt,
        leftOut() + " left out: " + why);
  }

  private String leftOut() {
    if (raw != null) {
      return "raw value";
    }
    return request != null && envelope != null ? "request and envelope" : "request";
  }

  private static String cut(String message) {
    if (message == null || message.length() <= OMITTED_MESSAGE_CHARS) {
      return message;
    }
    int end = OMITTED_MESSAGE_CHARS;
    if (Character.isHighSurrogate(message.charAt(end - 1))) {
      end--; // never half a character
    }
    return message.substring(0, end) + "… (cut)";
  }

  /** Whether it can be replayed (it holds a readable request). */
  public boolean replayable() {
    return request != null;
  }

  /** Whether its request (or raw value) was left out because the letter was too large. */
  public boolean bodiesOmitted() {
    return omitted != null;
  }
}
