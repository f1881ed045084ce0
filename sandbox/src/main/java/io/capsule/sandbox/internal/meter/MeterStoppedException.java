package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;

/**
 * Thrown out of the guest by the refill function after {@link FuelMeter#stop()}. It is a {@link
 * ChicoryInterruptedException}, like the one compiled code throws on {@link Thread#interrupt()}, so
 * a timeout handles both the same way.
 */
public final class MeterStoppedException extends ChicoryInterruptedException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public MeterStoppedException() {
    super("execution stopped by the host");
  }
}
