package io.capsule.sandbox.internal.wasi;

/**
 * Ends a guarded host call early with a WASI errno. Thrown and caught inside this package only: the
 * guest never sees an exception, just the errno.
 */
final class Refusal extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int errno;
  private final transient Denial.Reason reason;
  private final String guestPath;

  private Refusal(int errno, Denial.Reason reason, String guestPath) {
    super(null, null, false, false);
    this.errno = errno;
    this.reason = reason;
    this.guestPath = guestPath;
  }

  /** A policy denial of {@code guestPath}: recorded, and answered with the reason's errno. */
  static Refusal denied(Denial.Reason reason, String guestPath) {
    return new Refusal(reason.errno(), reason, guestPath);
  }

  /** An ordinary error (bad fd, invalid path): not a policy decision, not recorded. */
  static Refusal error(int errno) {
    return new Refusal(errno, null, "");
  }

  int errno() {
    return errno;
  }

  /** The denial reason, or {@code null} for an ordinary error. */
  Denial.Reason reason() {
    return reason;
  }

  String guestPath() {
    return guestPath;
  }
}
