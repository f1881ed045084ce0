package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** A task's lifecycle state, as published on the events topic. */
public enum TaskState {
  /** Accepted by the dispatcher, waiting on its level topic. */
  QUEUED(false),
  /** A worker is running an attempt. */
  RUNNING(false),
  /** An attempt failed with a retryable error; another is scheduled. */
  RETRYING(false),
  /** Final: the task succeeded. */
  SUCCEEDED(true),
  /** Final: the task failed (not retryable, or a dead letter was not wanted). */
  FAILED(true),
  /** Final: retries ran out or the record was unreadable; it is on the dead-letter topic. */
  DEAD_LETTERED(true),
  /** Final: cancelled before it finished. */
  CANCELLED(true);

  private final boolean terminal;

  TaskState(boolean terminal) {
    this.terminal = terminal;
  }

  /** Whether no further state follows. */
  public boolean terminal() {
    return terminal;
  }

  /** The wire spelling, e.g. {@code dead_lettered}. */
  @JsonValue
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses a wire spelling, in any case.
   *
   * @throws InvalidRequestException for an unknown state
   */
  @JsonCreator
  public static TaskState fromWire(String name) {
    try {
      return valueOf(name.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException("unknown task state '" + name + "'");
    }
  }
}
