package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.time.Duration;

/**
 * The {@code limits} object of a task request. Absent fields take the worker's defaults.
 *
 * @param compute fuel budget
 * @param ram memory cap
 * @param timeout wall-clock limit
 * @param maxRetries further attempts after a retryable failure
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TaskLimits(
    @JsonProperty("compute") Compute compute,
    @JsonProperty("ram") ByteSize ram,
    @JsonProperty("timeout")
        @JsonSerialize(using = DurationJson.Writer.class)
        @JsonDeserialize(using = DurationJson.Reader.class)
        Duration timeout,
    @JsonProperty("max_retries") Integer maxRetries) {

  /** No limits given. */
  public static final TaskLimits NONE = new TaskLimits(null, null, null, null);

  /** Validates through {@link TaskOptions}' rules. */
  public TaskLimits {
    TaskOptions.builder().timeout(timeout).maxRetries(maxRetries).build();
  }

  /** The limits part of task options. */
  public static TaskLimits of(TaskOptions options) {
    return new TaskLimits(
        options.compute(), options.ram(), options.timeout(), options.maxRetries());
  }
}
