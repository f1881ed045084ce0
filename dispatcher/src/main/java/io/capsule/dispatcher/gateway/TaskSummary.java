package io.capsule.dispatcher.gateway;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskState;

/** One line of the task list: a lifecycle event without its (possibly large) envelope. */
@JsonInclude(JsonInclude.Include.NON_NULL)
record TaskSummary(
    @JsonProperty("task_id") String taskId,
    @JsonProperty("state") TaskState state,
    @JsonProperty("level") String level,
    @JsonProperty("attempt") int attempt,
    @JsonProperty("worker") String worker,
    @JsonProperty("at") long at,
    @JsonProperty("error_type") ErrorType errorType,
    @JsonProperty("message") String message,
    @JsonProperty("duration_ms") Long durationMs,
    @JsonProperty("fuel_consumed") Long fuelConsumed) {

  static TaskSummary of(LifecycleEvent event) {
    ResultEnvelope envelope = event.envelope();
    boolean measured = envelope != null && envelope.execution() != null;
    ErrorType error =
        event.errorType() != null || envelope == null || envelope.error() == null
            ? event.errorType()
            : envelope.error().errorType();
    return new TaskSummary(
        event.taskId(),
        event.state(),
        event.level(),
        event.attempt(),
        event.worker(),
        event.at(),
        error,
        event.message(),
        measured ? envelope.execution().durationMs() : null,
        measured ? envelope.execution().fuelConsumed() : null);
  }
}
