package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.util.Objects;

/**
 * The outcome of a task, compatible with capsule-run's envelope: {@code success}, {@code result},
 * {@code error} and {@code execution} keep their names and meanings; {@code task_id}, {@code
 * attempt}, {@code worker} and {@code logs} are additions (absent when unknown).
 *
 * @param success whether the task succeeded
 * @param result the task's JSON result ({@code null} on failure)
 * @param error why it failed ({@code null} on success)
 * @param execution what running it cost
 * @param taskId the task id in the fleet, or {@code null} locally
 * @param attempt the 1-based number of the attempt that produced this envelope
 * @param worker the worker that ran it, or {@code null} locally
 * @param logs the tail of the guest's stderr, or {@code null} when empty
 */
@JsonPropertyOrder({
  "success",
  "result",
  "error",
  "execution",
  "task_id",
  "attempt",
  "worker",
  "logs"
})
public record ResultEnvelope(
    @JsonProperty("success") boolean success,
    @JsonProperty("result") @JsonInclude(JsonInclude.Include.ALWAYS) JsonNode result,
    @JsonProperty("error") @JsonInclude(JsonInclude.Include.ALWAYS) TaskError error,
    @JsonProperty("execution") Execution execution,
    @JsonProperty("task_id") @JsonInclude(JsonInclude.Include.NON_NULL) String taskId,
    @JsonProperty("attempt") int attempt,
    @JsonProperty("worker") @JsonInclude(JsonInclude.Include.NON_NULL) String worker,
    @JsonProperty("logs") @JsonInclude(JsonInclude.Include.NON_NULL) String logs) {

  /** The schema name of this version (the {@code capsule-schema} header of a result record). */
  public static final String SCHEMA = "capsule.result/v1";

  /** Checks that success and error agree. */
  public ResultEnvelope {
    Objects.requireNonNull(execution, "execution");
    if (success == (error != null)) {
      throw new IllegalArgumentException(
          "a successful envelope has no error; a failed one has one");
    }
    result = success ? (result == null ? NullNode.getInstance() : result) : null;
    attempt = Math.max(attempt, 1);
  }

  /** A successful envelope. */
  public static ResultEnvelope success(JsonNode result, Execution execution) {
    return new ResultEnvelope(true, result, null, execution, null, 1, null, null);
  }

  /** A failed envelope. */
  public static ResultEnvelope failure(TaskError error, Execution execution) {
    return new ResultEnvelope(false, null, error, execution, null, 1, null, null);
  }

  /** A failed envelope of the given type. */
  public static ResultEnvelope failure(ErrorType type, String message, Execution execution) {
    return failure(new TaskError(type, message), execution);
  }

  /** A copy carrying the fleet's identifiers. */
  public ResultEnvelope withTask(String taskId, int attempt, String worker) {
    return new ResultEnvelope(success, result, error, execution, taskId, attempt, worker, logs);
  }

  /** A copy carrying a logs tail. */
  public ResultEnvelope withLogs(String logs) {
    String tail = logs == null || logs.isEmpty() ? null : logs;
    return new ResultEnvelope(success, result, error, execution, taskId, attempt, worker, tail);
  }

  /** A copy with another execution record. */
  public ResultEnvelope withExecution(Execution execution) {
    return new ResultEnvelope(success, result, error, execution, taskId, attempt, worker, logs);
  }
}
