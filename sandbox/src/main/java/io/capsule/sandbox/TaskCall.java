package io.capsule.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.TaskOptions;
import java.util.List;
import java.util.Objects;

/**
 * One call of a task: its options (already layered: flag over task option over project default) and
 * its arguments.
 *
 * @param options the task's options; unset ones take the built-in defaults
 * @param args JSON arguments; a string reaches the guest's argv as itself, anything else as JSON
 */
public record TaskCall(TaskOptions options, List<JsonNode> args) {

  /** Copies the arguments. */
  public TaskCall {
    Objects.requireNonNull(options, "options");
    args = args == null ? List.of() : List.copyOf(args);
  }

  /** A call with default options. */
  public static TaskCall of(List<JsonNode> args) {
    return new TaskCall(TaskOptions.NONE, args);
  }

  /** The task name, {@code main} unless set. */
  public String taskName() {
    return options.nameOrDefault();
  }
}
