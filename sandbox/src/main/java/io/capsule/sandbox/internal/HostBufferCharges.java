package io.capsule.sandbox.internal;

import com.dylibso.chicory.runtime.HostFunction;

/**
 * Makes the WASI functions that decode a guest-sized array into host objects charge it to the
 * attempt's {@link ResourceAccount} while they run: {@code poll_oneoff}, whose subscriptions
 * Chicory decodes into a list of objects, {@value #POLL_SUBSCRIPTION_BYTES} bytes each. A count the
 * account cannot hold ends the attempt with {@code memory_limit} before anything is decoded.
 */
public final class HostBufferCharges {
  /**
   * Host bytes one decoded {@code poll_oneoff} subscription takes at most: a list slot and an entry
   * of two boxed longs (Chicory 1.7.5), rounded up.
   */
  public static final long POLL_SUBSCRIPTION_BYTES = 96;

  private static final String WASI = "wasi_snapshot_preview1";

  private HostBufferCharges() {}

  /** {@code functions}, with {@code poll_oneoff} (if present) charging {@code account}. */
  public static HostFunction[] wrap(HostFunction[] functions, ResourceAccount account) {
    HostFunction[] out = functions.clone();
    for (int i = 0; i < out.length; i++) {
      if (out[i].module().equals(WASI) && out[i].name().equals("poll_oneoff")) {
        out[i] = charging(out[i], account);
      }
    }
    return out;
  }

  private static HostFunction charging(HostFunction poll, ResourceAccount account) {
    return new HostFunction(
        poll.module(),
        poll.name(),
        poll.functionType(),
        (instance, args) -> {
          long count = Integer.toUnsignedLong((int) args[2]);
          long bytes = count * POLL_SUBSCRIPTION_BYTES;
          account.chargeBuffer(bytes, "poll_oneoff of " + count + " subscriptions");
          try {
            return poll.handle().apply(instance, args);
          } finally {
            account.releaseBuffer(bytes);
          }
        });
  }
}
