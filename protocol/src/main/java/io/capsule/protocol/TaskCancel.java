package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * A request to stop a task ({@code capsule.cancel/v1}), published on the cancels topic ({@code
 * PREFIX.cancels}, see {@link Topics#cancels()}) keyed by task id, after the task's {@code
 * cancelled} event. Every worker follows that topic: the worker running the task stops its attempt
 * and publishes nothing more for it than a {@code cancelled} event; a worker holding the request
 * drops it unstarted, and one that reads the request later skips it. Records carry the {@code
 * capsule-schema} header with {@value #SCHEMA}.
 *
 * @param schema always {@value #SCHEMA}
 * @param taskId the task to stop
 * @param by who asked (a client id, or the parent task whose sub-task this is)
 * @param at epoch milliseconds of the request
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TaskCancel(
    @JsonProperty("schema") String schema,
    @JsonProperty("task_id") String taskId,
    @JsonProperty("by") String by,
    @JsonProperty("at") long at) {

  /** The schema name of this version. */
  public static final String SCHEMA = "capsule.cancel/v1";

  /** Validates the required fields. */
  public TaskCancel {
    schema = SCHEMA;
    Objects.requireNonNull(taskId, "task_id");
  }

  /** A cancel of {@code taskId} asked by {@code by}, stamped now. */
  public static TaskCancel of(String taskId, String by) {
    return new TaskCancel(SCHEMA, taskId, by, System.currentTimeMillis());
  }
}
