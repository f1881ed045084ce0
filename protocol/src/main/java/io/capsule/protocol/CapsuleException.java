package io.capsule.protocol;

import java.util.Objects;

/**
 * The root of every failure Capsule reports. Each subtype maps to exactly one {@link ErrorType},
 * which is what a caller acts on (retry or not, fix the request, fix the module).
 */
public abstract class CapsuleException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorType errorType;

  /** Creates the exception for its error type with a one-line reason. */
  protected CapsuleException(ErrorType errorType, String message) {
    super(message);
    this.errorType = Objects.requireNonNull(errorType);
  }

  /** Creates the exception for its error type with a one-line reason and its cause. */
  protected CapsuleException(ErrorType errorType, String message, Throwable cause) {
    super(message, cause);
    this.errorType = Objects.requireNonNull(errorType);
  }

  /** The error type this failure is reported as. */
  public ErrorType errorType() {
    return errorType;
  }

  /** The failure as it appears in a result envelope. */
  public TaskError toTaskError() {
    return new TaskError(errorType, getMessage());
  }
}
