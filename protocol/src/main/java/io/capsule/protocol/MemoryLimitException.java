package io.capsule.protocol;

/** The guest needed more linear memory than its cap allows. */
public final class MemoryLimitException extends CapsuleException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a one-line reason. */
  public MemoryLimitException(String message) {
    super(ErrorType.MEMORY_LIMIT, message);
  }

  /** Creates the exception with a one-line reason and its cause. */
  public MemoryLimitException(String message, Throwable cause) {
    super(ErrorType.MEMORY_LIMIT, message, cause);
  }
}
