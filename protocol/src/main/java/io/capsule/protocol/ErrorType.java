package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * Why a task failed. Each type has one wire spelling ({@link #wireName()}) and says whether another
 * attempt can succeed ({@link #retryable()}); only retryable failures use a task's {@code
 * max_retries}.
 */
public enum ErrorType {
  /** The guest exited non-zero or reported failure. Retried: the cause may be transient. */
  TASK_ERROR(true),
  /** The wall-clock limit passed. Retried: load on the machine may have caused it. */
  TIMEOUT(true),
  /** The fuel budget ran out. Not retried: the same input needs the same fuel. */
  FUEL_EXHAUSTED(false),
  /** Linear memory hit the {@code ram} cap. Not retried: deterministic. */
  MEMORY_LIMIT(false),
  /** A WebAssembly trap or call-stack exhaustion. Not retried: deterministic. */
  WASM_ERROR(false),
  /** The task asked for a file, host or variable it was not granted. Not retried. */
  PERMISSION_DENIED(false),
  /** The module is not valid WebAssembly or not a task module. Not retried. */
  INVALID_MODULE(false),
  /** The request itself is malformed (options, arguments). Not retried. */
  INVALID_REQUEST(false),
  /** A fault in Capsule itself, not in the task. Retried. */
  INTERNAL_ERROR(true);

  private final boolean retryable;

  ErrorType(boolean retryable) {
    this.retryable = retryable;
  }

  /** Whether another attempt of the same task can succeed. */
  public boolean retryable() {
    return retryable;
  }

  /** The spelling on the wire, e.g. {@code fuel_exhausted}. */
  @JsonValue
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses a wire spelling, in any case.
   *
   * @throws InvalidRequestException for an unknown spelling
   */
  @JsonCreator
  public static ErrorType fromWire(String name) {
    try {
      return valueOf(name.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException("unknown error type '" + name + "'");
    }
  }
}
