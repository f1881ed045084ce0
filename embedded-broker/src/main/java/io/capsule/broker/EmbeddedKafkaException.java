package io.capsule.broker;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The embedded broker could not be formatted or started. The cause carries Kafka's own failure;
 * {@link #logDir()} names the storage the broker was given (already deleted if it was a temp
 * directory).
 */
public final class EmbeddedKafkaException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Path logDir;

  /** Creates the exception for the broker on {@code logDir}, with Kafka's failure as the cause. */
  public EmbeddedKafkaException(String message, Path logDir, Throwable cause) {
    super(message, cause);
    this.logDir = Objects.requireNonNull(logDir, "logDir");
  }

  /** The log directory of the broker that failed. */
  public Path logDir() {
    return logDir;
  }
}
