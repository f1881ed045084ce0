package io.capsule.protocol;

import java.time.Duration;

/** The task ran longer than its wall-clock limit. */
public final class TimeoutExceededException extends CapsuleException {
  private static final long serialVersionUID = 1L;

  private final Duration timeout;

  /** Creates the exception for the limit that was exceeded. */
  public TimeoutExceededException(Duration timeout) {
    super(ErrorType.TIMEOUT, "task exceeded its timeout of " + Durations.format(timeout));
    this.timeout = timeout;
  }

  /** The limit that was exceeded. */
  public Duration timeout() {
    return timeout;
  }
}
