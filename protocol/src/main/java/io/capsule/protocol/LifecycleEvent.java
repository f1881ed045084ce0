package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * One state change of a task ({@code capsule.event/v1}), on the compacted events topic keyed by
 * task id, so the latest record per key is the task's current state. A terminal event carries the
 * final envelope, which makes results readable by task id after any restart.
 *
 * @param schema always {@value #SCHEMA}
 * @param taskId the task
 * @param state its new state
 * @param level the compute level topic it runs on (lower-case), or {@code null}
 * @param attempt the 1-based attempt this event is about (0 before the first)
 * @param worker the worker reporting, or {@code null} for the dispatcher
 * @param at epoch milliseconds of the change
 * @param errorType the failure of the attempt, for retrying and failed states
 * @param message a short human note
 * @param envelope the final envelope, on terminal states
 * @param parentId the task that spawned this one as a sub-task, or {@code null}
 * @param treeBudgetLeft on a sub-task's terminal event: how much of the sub-task budget its parent
 *     handed it ({@code tree.budget}) its final attempt left unused, which the parent takes back;
 *     {@code null} otherwise
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LifecycleEvent(
    @JsonProperty("schema") String schema,
    @JsonProperty("task_id") String taskId,
    @JsonProperty("state") TaskState state,
    @JsonProperty("level") String level,
    @JsonProperty("attempt") int attempt,
    @JsonProperty("worker") String worker,
    @JsonProperty("at") long at,
    @JsonProperty("error_type") ErrorType errorType,
    @JsonProperty("message") String message,
    @JsonProperty("envelope") ResultEnvelope envelope,
    @JsonProperty("parent_id") String parentId,
    @JsonProperty("tree_budget_left") Integer treeBudgetLeft) {

  /** The schema name of this version. */
  public static final String SCHEMA = "capsule.event/v1";

  /** Validates the required fields. */
  public LifecycleEvent {
    schema = SCHEMA;
    Objects.requireNonNull(taskId, "task_id");
    Objects.requireNonNull(state, "state");
    if (treeBudgetLeft != null && treeBudgetLeft < 0) {
      throw new IllegalArgumentException("tree_budget_left must not be negative");
    }
  }

  /** An event without {@code tree_budget_left}. */
  public LifecycleEvent(
      String schema,
      String taskId,
      TaskState state,
      String level,
      int attempt,
      String worker,
      long at,
      ErrorType errorType,
      String message,
      ResultEnvelope envelope,
      String parentId) {
    this(
        schema, taskId, state, level, attempt, worker, at, errorType, message, envelope, parentId,
        null);
  }

  /** An event without error or envelope, stamped now. */
  public static LifecycleEvent of(
      String taskId, TaskState state, String level, int attempt, String worker) {
    return new LifecycleEvent(
        SCHEMA,
        taskId,
        state,
        level,
        attempt,
        worker,
        System.currentTimeMillis(),
        null,
        null,
        null,
        null);
  }

  /** The terminal event for a final envelope, stamped now. */
  public static LifecycleEvent finalOf(
      String taskId, TaskState state, String level, String worker, ResultEnvelope envelope) {
    ErrorType type = envelope.error() == null ? null : envelope.error().errorType();
    String message = envelope.error() == null ? null : envelope.error().message();
    return new LifecycleEvent(
        SCHEMA,
        taskId,
        state,
        level,
        envelope.attempt(),
        worker,
        System.currentTimeMillis(),
        type,
        message,
        envelope,
        null);
  }

  /** A copy carrying an error. */
  public LifecycleEvent withError(ErrorType type, String message) {
    return new LifecycleEvent(
        schema,
        taskId,
        state,
        level,
        attempt,
        worker,
        at,
        type,
        message,
        envelope,
        parentId,
        treeBudgetLeft);
  }

  /** A copy naming the task that spawned this one ({@code null}: none). */
  public LifecycleEvent withParent(String parentId) {
    return new LifecycleEvent(
        schema,
        taskId,
        state,
        level,
        attempt,
        worker,
        at,
        errorType,
        message,
        envelope,
        parentId,
        treeBudgetLeft);
  }

  /** A copy telling the parent how much of the sub-task's tree budget is left unused. */
  public LifecycleEvent withTreeBudgetLeft(Integer left) {
    return new LifecycleEvent(
        schema, taskId, state, level, attempt, worker, at, errorType, message, envelope, parentId,
        left);
  }

  /** This event with {@code envelope} in place of its envelope ({@code null}: none). */
  public LifecycleEvent withEnvelope(ResultEnvelope envelope) {
    return new LifecycleEvent(
        schema,
        taskId,
        state,
        level,
        attempt,
        worker,
        at,
        errorType,
        message,
        envelope,
        parentId,
        treeBudgetLeft);
  }
}
