package io.capsule.worker.internal;

/**
 * A record's outputs were not sent because this worker could not show it still held the record:
 * {@link #lost()} when it certainly no longer does (dropped for good), otherwise because no broker
 * confirmation came within the lease's term (sent again later).
 */
public final class OutputsFencedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final boolean lost;

  private OutputsFencedException(String message, boolean lost) {
    super(message, null, false, false);
    this.lost = lost;
  }

  /** The record was revoked, lost or reassigned since it was fetched. */
  static OutputsFencedException lost(String source) {
    return new OutputsFencedException(source + " is no longer held by this worker", true);
  }

  /** No confirmation that the record is still held came within the lease's term. */
  static OutputsFencedException unconfirmed(String source) {
    return new OutputsFencedException(
        "no broker confirmation that " + source + " is still held; will ask again", false);
  }

  /** Whether the record is certainly gone (its outputs are dropped, not sent again). */
  public boolean lost() {
    return lost;
  }

  /** Whether {@code error} (possibly wrapped by a future) says a record was certainly lost. */
  static boolean isLost(Throwable error) {
    return RetryingPublisher.cause(error) instanceof OutputsFencedException fenced && fenced.lost;
  }
}
