package io.capsule.sandbox.internal;

import io.capsule.protocol.MemoryLimitException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The host memory one attempt has caused, against one limit: its linear memory, its tables, (in the
 * interpreter) its call frames, and the host-side buffers it makes the host hold (HTTP request and
 * answer documents and bodies, the stdout and stderr capture as it grows, the result given to
 * {@code capsule.set_result}, and what host calls copy out of or into guest memory: see {@link
 * HostCallCharges}). A charge that would take the account past its limit is refused and remembered,
 * so the failure that follows is reported as {@code memory_limit}; {@link #peak()} (memory and
 * tables only, without call frames and host buffers) is the attempt's {@code ram_used}.
 *
 * <p>The limit is the task's {@code ram} cap (which linear memory alone may fill) plus an allowance
 * for everything else the guest can make the host allocate: a quarter of the cap, at least {@link
 * #MIN_HOST_ALLOWANCE}. The arguments and environment the host hands the guest are set by the
 * caller and the operator, not grown by the guest, and are covered by the allowance uncharged.
 */
public final class ResourceAccount {
  /**
   * The smallest allowance for tables, call frames and host buffers beside linear memory, in bytes.
   */
  public static final long MIN_HOST_ALLOWANCE = 16L << 20;

  private final long limit;
  private final AtomicLong used = new AtomicLong();
  private final AtomicLong held = new AtomicLong(); // used, less call frames
  private final AtomicLong peak = new AtomicLong();
  private volatile String refusal;

  private ResourceAccount(long limit) {
    this.limit = limit;
  }

  /** The account of an attempt whose linear memory is capped at {@code ramCapBytes}. */
  public static ResourceAccount forRam(long ramCapBytes) {
    return new ResourceAccount(ramCapBytes + Math.max(MIN_HOST_ALLOWANCE, ramCapBytes / 4));
  }

  /** An account that refuses nothing: for instances outside a task attempt (snapshots, tests). */
  public static ResourceAccount unlimited() {
    return new ResourceAccount(Long.MAX_VALUE);
  }

  /**
   * Charges {@code bytes} if the account holds them.
   *
   * @param what the allocation, for the report when it is refused ("table.grow of 10 entries")
   * @return whether the charge was made; a refusal is remembered
   */
  public boolean tryCharge(long bytes, String what) {
    if (!take(bytes)) {
      refuseSpent(what);
      return false;
    }
    peak.accumulateAndGet(held.addAndGet(bytes), Math::max);
    return true;
  }

  /**
   * Charges the execution overhead of a call frame while it is on the stack: it counts against the
   * limit like any charge but not in {@link #peak()}, so {@code ram_used} reports what the guest
   * allocated and reads the same in both execution modes.
   *
   * @throws MemoryLimitException when the account does not hold them
   */
  public void chargeFrame(long bytes) {
    if (!take(bytes)) {
      refuseSpent("a call frame of " + bytes + " bytes (recursion too deep)");
      throw new MemoryLimitException(refusal);
    }
  }

  /** Gives back a frame charged by {@link #chargeFrame}. */
  public void releaseFrame(long bytes) {
    used.addAndGet(-bytes);
  }

  /**
   * Charges a host-side buffer the guest caused (an HTTP document held for it, a capture buffer's
   * growth, decoded {@code poll_oneoff} subscriptions): it counts against the limit like any charge
   * but not in {@link #peak()}, which stays what the guest's memory and tables held.
   *
   * @param what the buffer, for the report when it is refused
   * @throws MemoryLimitException when the account does not hold them
   */
  public void chargeBuffer(long bytes, String what) {
    if (!take(bytes)) {
      refuseSpent(what);
      throw new MemoryLimitException(refusal);
    }
  }

  /**
   * Charges a host-side buffer as {@link #chargeBuffer} does, without building its description
   * unless it is refused: for charges made on every host call.
   *
   * @return whether the charge was made; when not, report it with {@link #refuseBuffer}
   */
  public boolean tryChargeBuffer(long bytes) {
    return take(bytes);
  }

  /**
   * Remembers that the buffer {@code what} was refused, as {@link #chargeBuffer} does.
   *
   * @return the exception that ends the attempt, for the caller to throw
   */
  public MemoryLimitException refuseBuffer(String what) {
    refuseSpent(what);
    return new MemoryLimitException(refusal);
  }

  /** Gives back a buffer charged by {@link #chargeBuffer} or {@link #tryChargeBuffer}. */
  public void releaseBuffer(long bytes) {
    used.addAndGet(-bytes);
  }

  private boolean take(long bytes) {
    long now = used.addAndGet(bytes);
    if (now > limit || now < 0) {
      used.addAndGet(-bytes);
      return false;
    }
    return true;
  }

  private void refuseSpent(String what) {
    refuse(what + " refused: the task's memory account of " + limit + " bytes is spent");
  }

  /**
   * Charges {@code bytes}.
   *
   * @throws MemoryLimitException when the account does not hold them
   */
  public void charge(long bytes, String what) {
    if (!tryCharge(bytes, what)) {
      throw new MemoryLimitException(refusal);
    }
  }

  /** Gives back bytes charged earlier with {@link #tryCharge} or {@link #charge}. */
  public void release(long bytes) {
    used.addAndGet(-bytes);
    held.addAndGet(-bytes);
  }

  /** Remembers why a limit was hit (the first reason wins), without charging anything. */
  public void refuse(String reason) {
    if (refusal == null) {
      refusal = reason;
    }
  }

  /** Why an allocation was refused, or {@code null} when none was. */
  public String refusal() {
    return refusal;
  }

  /** The bytes charged now. */
  public long used() {
    return used.get();
  }

  /**
   * The most bytes the guest held at any time (linear memory and tables; not call frames): the
   * attempt's {@code ram_used}.
   */
  public long peak() {
    return peak.get();
  }

  /** The account's limit in bytes. */
  public long limit() {
    return limit;
  }
}
