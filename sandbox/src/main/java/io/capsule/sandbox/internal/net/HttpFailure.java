package io.capsule.sandbox.internal.net;

/** A request that ended in a {@link NetworkError}; never leaves this package. */
final class HttpFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final NetworkError error;

  HttpFailure(NetworkError error, String message) {
    super(message, null, false, false);
    this.error = error;
  }

  NetworkError error() {
    return error;
  }
}
