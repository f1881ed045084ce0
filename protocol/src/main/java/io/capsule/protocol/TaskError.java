package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * The {@code error} object of a failed result envelope.
 *
 * @param errorType why the task failed
 * @param message one line for a human
 */
public record TaskError(
    @JsonProperty("error_type") ErrorType errorType, @JsonProperty("message") String message) {

  /** Validates both fields. */
  public TaskError {
    Objects.requireNonNull(errorType, "error_type");
    message = message == null ? "" : message;
  }
}
