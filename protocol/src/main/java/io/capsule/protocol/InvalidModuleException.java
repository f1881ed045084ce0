package io.capsule.protocol;

/** The module is not valid WebAssembly, or not a usable task module. */
public final class InvalidModuleException extends CapsuleException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a one-line reason. */
  public InvalidModuleException(String message) {
    super(ErrorType.INVALID_MODULE, message);
  }

  /** Creates the exception with a one-line reason and its cause. */
  public InvalidModuleException(String message, Throwable cause) {
    super(ErrorType.INVALID_MODULE, message, cause);
  }
}
