package io.capsule.dispatcher;

import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.ErrorType;

/**
 * The fleet could not be reached or refused a record: a fault outside the task, reported as {@code
 * internal_error}. The cause is Kafka's exception.
 */
public final class DispatcherException extends CapsuleException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a one-line reason and Kafka's cause. */
  public DispatcherException(String message, Throwable cause) {
    super(ErrorType.INTERNAL_ERROR, message, cause);
  }

  /** Creates the exception with a one-line reason. */
  public DispatcherException(String message) {
    super(ErrorType.INTERNAL_ERROR, message);
  }
}
