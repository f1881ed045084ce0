package io.capsule.cli;

/** A mistake in how the command was called, such as a file that cannot be read: exit code 2. */
final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  UsageException(String message) {
    super(message);
  }
}
