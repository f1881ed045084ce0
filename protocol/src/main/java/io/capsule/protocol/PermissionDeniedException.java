package io.capsule.protocol;

/** The task asked for a file, host or variable it was not granted. */
public final class PermissionDeniedException extends CapsuleException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a one-line reason. */
  public PermissionDeniedException(String message) {
    super(ErrorType.PERMISSION_DENIED, message);
  }

  /** Creates the exception with a one-line reason and its cause. */
  public PermissionDeniedException(String message, Throwable cause) {
    super(ErrorType.PERMISSION_DENIED, message, cause);
  }
}
