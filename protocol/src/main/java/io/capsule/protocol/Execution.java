package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Objects;

/**
 * The {@code execution} object of a result envelope: what running the task cost.
 *
 * @param taskName the task that ran
 * @param durationMs wall-clock time of all attempts, in milliseconds
 * @param retries attempts actually made minus one (not the configured maximum)
 * @param fuelConsumed fuel used by the last attempt; equal to the budget when it ran out
 * @param ramUsed peak of the last attempt's resource account (linear memory and tables), in bytes
 * @param hostRequests outbound requests of the last attempt
 */
public record Execution(
    @JsonProperty("task_name") String taskName,
    @JsonProperty("duration_ms") long durationMs,
    @JsonProperty("retries") int retries,
    @JsonProperty("fuel_consumed") long fuelConsumed,
    @JsonProperty("ram_used") long ramUsed,
    @JsonProperty("host_requests") List<HostRequest> hostRequests) {

  /** Validates the fields and copies the list. */
  public Execution {
    Objects.requireNonNull(taskName, "task_name");
    if (durationMs < 0 || retries < 0 || fuelConsumed < 0 || ramUsed < 0) {
      throw new IllegalArgumentException("execution figures cannot be negative");
    }
    hostRequests = hostRequests == null ? List.of() : List.copyOf(hostRequests);
  }

  /** The record of a task that ended before it ran: no fuel, no time, no memory, no requests. */
  public static Execution none(String taskName) {
    return new Execution(taskName, 0, 0, 0, 0, List.of());
  }

  /** A copy with another retry count and total duration. */
  public Execution withRetries(int retries, long durationMs) {
    return new Execution(taskName, durationMs, retries, fuelConsumed, ramUsed, hostRequests);
  }
}
