package io.capsule.protocol;

/** The request is malformed: an option, size, duration or argument that cannot be used. */
public final class InvalidRequestException extends CapsuleException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a one-line reason. */
  public InvalidRequestException(String message) {
    super(ErrorType.INVALID_REQUEST, message);
  }

  /** Creates the exception with a one-line reason and its cause. */
  public InvalidRequestException(String message, Throwable cause) {
    super(ErrorType.INVALID_REQUEST, message, cause);
  }
}
