package io.capsule.protocol;

/** A fault inside Capsule, not in the task. */
public final class InternalException extends CapsuleException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a one-line reason. */
  public InternalException(String message) {
    super(ErrorType.INTERNAL_ERROR, message);
  }

  /** Creates the exception with a one-line reason and its cause. */
  public InternalException(String message, Throwable cause) {
    super(ErrorType.INTERNAL_ERROR, message, cause);
  }
}
