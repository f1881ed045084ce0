package io.capsule.dispatcher;

import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.ErrorType;
import java.time.Duration;

/** No final result arrived for a task within the time a caller waited; the task may still run. */
public final class AwaitTimeoutException extends CapsuleException {
  private static final long serialVersionUID = 1L;

  private final String taskId;
  private final Duration timeout;

  /** Creates the exception for a task and the time waited. */
  public AwaitTimeoutException(String taskId, Duration timeout) {
    super(ErrorType.TIMEOUT, "no result for task " + taskId + " within " + timeout);
    this.taskId = taskId;
    this.timeout = timeout;
  }

  /** The task waited for. */
  public String taskId() {
    return taskId;
  }

  /** How long the caller waited. */
  public Duration timeout() {
    return timeout;
  }
}
