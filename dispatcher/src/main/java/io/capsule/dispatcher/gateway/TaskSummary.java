package io.capsule.dispatcher.gateway;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskState;

/**
 * One line of the recent-tasks view: a task's latest state and, once final, what it cost.
 *
 * @param taskId the task
 * @param state its latest state
 * @param level its compute level topic suffix, or {@code null}
 * @param attempt the attempt of the latest event
 * @param worker the worker of the latest event, or {@code null}
 * @param firstSeenAt epoch ms of the first event seen for it (normally {@code queued})
 * @param updatedAt epoch ms of the latest event
 * @param durationMs the envelope's duration once final, else {@code null}
 * @param fuelConsumed the envelope's fuel once final, else {@code null}
 * @param errorType the latest error, or {@code null}
 * @param message the latest event's note, or {@code null}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record TaskSummary(
    @JsonProperty("task_id") String taskId,
    @JsonProperty("state") TaskState state,
    @JsonProperty("level") String level,
    @JsonProperty("attempt") int attempt,
    @JsonProperty("worker") String worker,
    @JsonProperty("first_seen_at") long firstSeenAt,
    @JsonProperty("updated_at") long updatedAt,
    @JsonProperty("duration_ms") Long durationMs,
    @JsonProperty("fuel_consumed") Long fuelConsumed,
    @JsonProperty("error_type") ErrorType errorType,
    @JsonProperty("message") String message) {

  /** The summary after an event, keeping what the previous one knew (or {@code null}). */
  static TaskSummary after(TaskSummary previous, LifecycleEvent event) {
    ResultEnvelope envelope = event.envelope();
    long firstSeen = previous == null ? event.at() : Math.min(previous.firstSeenAt, event.at());
    String level = event.level() != null || previous == null ? event.level() : previous.level;
    return new TaskSummary(
        event.taskId(),
        event.state(),
        level,
        event.attempt(),
        event.worker(),
        firstSeen,
        event.at(),
        envelope == null ? null : envelope.execution().durationMs(),
        envelope == null ? null : envelope.execution().fuelConsumed(),
        event.errorType(),
        event.message());
  }
}
