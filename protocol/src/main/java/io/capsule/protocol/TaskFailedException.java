package io.capsule.protocol;

/** The guest exited non-zero or reported failure. */
public final class TaskFailedException extends CapsuleException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a one-line reason. */
  public TaskFailedException(String message) {
    super(ErrorType.TASK_ERROR, message);
  }

  /** Creates the exception with a one-line reason and its cause. */
  public TaskFailedException(String message, Throwable cause) {
    super(ErrorType.TASK_ERROR, message, cause);
  }
}
