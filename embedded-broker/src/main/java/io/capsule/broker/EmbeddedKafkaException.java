package io.capsule.broker;

/**
 * The embedded broker could not be formatted, started or stopped. The message says which, and the
 * cause carries Kafka's own failure.
 */
public final class EmbeddedKafkaException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a one-line reason. */
  public EmbeddedKafkaException(String message) {
    super(message);
  }

  /** Creates the exception with a one-line reason and Kafka's failure as its cause. */
  public EmbeddedKafkaException(String message, Throwable cause) {
    super(message, cause);
  }
}
