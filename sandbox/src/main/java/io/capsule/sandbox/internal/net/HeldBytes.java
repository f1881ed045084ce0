package io.capsule.sandbox.internal.net;

import io.capsule.sandbox.internal.ResourceAccount;

/**
 * The host bytes one HTTP exchange holds for an attempt, each piece charged to the attempt's {@link
 * ResourceAccount} before it is allocated, all given back together when the exchange is done. The
 * response reader charges from the transport thread; once closed (the exchange finished or was
 * abandoned) a charge is refused, so an abandoned reader stops instead of holding more.
 */
final class HeldBytes implements AutoCloseable {
  private final ResourceAccount account;
  private long held;
  private boolean closed;

  HeldBytes(ResourceAccount account) {
    this.account = account;
  }

  /** Bytes charged to an account that refuses nothing: for exchanges outside an attempt. */
  static HeldBytes unaccounted() {
    return new HeldBytes(ResourceAccount.unlimited());
  }

  /**
   * Charges {@code bytes} about to be allocated for the exchange.
   *
   * @throws io.capsule.protocol.MemoryLimitException when the account does not hold them
   * @throws HttpFailure when the exchange was abandoned
   */
  synchronized void charge(long bytes, String what) {
    if (closed) {
      throw new HttpFailure(NetworkError.NETWORK_ERROR, "the request was abandoned");
    }
    account.chargeBuffer(bytes, what);
    held += bytes;
  }

  /** Gives back {@code bytes} charged earlier whose buffer is no longer held. */
  synchronized void release(long bytes) {
    account.releaseBuffer(bytes);
    held -= bytes;
  }

  /**
   * Charges {@code bytes} that outlive the exchange (an answer document held for the guest): they
   * stay charged after {@link #close()}, and whoever holds the buffer gives them back.
   *
   * @throws io.capsule.protocol.MemoryLimitException when the account does not hold them
   */
  synchronized void chargeKept(long bytes, String what) {
    account.chargeBuffer(bytes, what);
  }

  /** Gives back what the exchange still holds and refuses further charges. */
  @Override
  public synchronized void close() {
    closed = true;
    account.releaseBuffer(held);
    held = 0;
  }
}
