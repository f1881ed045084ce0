package io.capsule.worker.internal;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Fences a worker that lost its records without knowing it (frozen by SIGSTOP or a long GC past its
 * session timeout, cut off from the group coordinator): before any output of a record is sent, its
 * {@link Claim} is checked. The record's holder (a level consumer's poll thread) bumps an epoch per
 * key (a partition, or a share slot's current record) on every assignment, revocation or loss, and
 * reports each <em>broker confirmation</em> that it still holds what it was given (an offset commit
 * that succeeded: the coordinator checked the group generation and member; a share lock that came
 * back after RENEW) with the time the confirming request was sent. A claim is held while its key's
 * epoch is unchanged and the last confirmation is younger than the term (half the session timeout
 * or lock duration: the broker cannot have given the record to another worker sooner than a full
 * one after confirming it). A publisher finding the confirmation stale asks for a fresh one and
 * waits, bounded, for the holder to get it or to learn that the record is gone.
 *
 * <p>What this cannot fence: outputs already handed to the producer before the lease ran out (they
 * may reach the broker later, e.g. after a leader failover), and a freeze that falls between the
 * check and the hand-over (microseconds). Kafka transactions would close both.
 */
public final class Lease {
  /** A claim's standing at one moment. */
  public enum Standing {
    /** Confirmed within the term and not revoked: outputs may be sent. */
    HELD,
    /** Not revoked, but no confirmation within the term: ask again later. */
    UNCONFIRMED,
    /** Revoked, lost or reassigned since the record was fetched: its outputs must be dropped. */
    LOST
  }

  /** A claim that is never revoked (a worker without a lease, and tests). */
  public static final Claim UNFENCED = new Claim(null, null, 0);

  private final long termNanos;
  private final LongSupplier nanoClock;
  private final Map<Object, Integer> epochs = new ConcurrentHashMap<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private long confirmedAt; // guarded by lock
  private boolean confirmed; // guarded by lock
  private volatile boolean wanted;

  /** A lease confirmed for {@code term} after each confirmation, on {@link System#nanoTime}. */
  public Lease(Duration term) {
    this(term, System::nanoTime);
  }

  /** A lease on the given nanosecond clock. */
  Lease(Duration term, LongSupplier nanoClock) {
    if (term.isNegative() || term.isZero()) {
      throw new IllegalArgumentException("lease term must be positive: " + term);
    }
    this.termNanos = term.toNanos();
    this.nanoClock = nanoClock;
  }

  /** The term: how long one confirmation holds. */
  public Duration term() {
    return Duration.ofNanos(termNanos);
  }

  /** The current tenure of {@code key}, for a record fetched now (holder thread). */
  public Claim claim(Object key) {
    return new Claim(this, key, epochs.computeIfAbsent(key, k -> 0));
  }

  /** Starts a new tenure of each key: claims of earlier ones are lost (holder thread). */
  public void renew(Collection<?> keys) {
    keys.forEach(key -> epochs.merge(key, 1, Integer::sum));
    signal();
  }

  /** Ends the tenure of each key: its claims are lost (holder thread). */
  public void revoke(Collection<?> keys) {
    renew(keys);
  }

  /** Ends every tenure (the holder stops). */
  public void revokeAll() {
    renew(epochs.keySet());
  }

  /**
   * The broker confirmed the holder's tenure by a request sent at {@code sentAtNanos} (on this
   * lease's clock).
   */
  public void confirmed(long sentAtNanos) {
    lock.lock();
    try {
      if (!confirmed || sentAtNanos - confirmedAt > 0) {
        confirmedAt = sentAtNanos;
        confirmed = true;
      }
      wanted = false;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The clock's reading now, to stamp a confirming request with. */
  public long now() {
    return nanoClock.getAsLong();
  }

  /**
   * Whether the holder should get a confirmation now: a publisher waits for one, or the last one is
   * older than half the term while records are in flight (so that publishers rarely wait).
   */
  public boolean confirmationDue(boolean inFlight) {
    if (wanted) {
      return true;
    }
    if (!inFlight) {
      return false;
    }
    lock.lock();
    try {
      return !confirmed || nanoClock.getAsLong() - confirmedAt > termNanos / 2;
    } finally {
      lock.unlock();
    }
  }

  private void signal() {
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private Standing standing(Claim claim) {
    if (epochs.getOrDefault(claim.key, 0) != claim.epoch) {
      return Standing.LOST;
    }
    lock.lock();
    try {
      return confirmed && nanoClock.getAsLong() - confirmedAt < termNanos
          ? Standing.HELD
          : Standing.UNCONFIRMED;
    } finally {
      lock.unlock();
    }
  }

  private Standing await(Claim claim, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    lock.lock();
    try {
      Standing standing = standing(claim);
      while (standing == Standing.UNCONFIRMED) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        wanted = true;
        changed.awaitNanos(left);
        standing = standing(claim);
      }
      return standing;
    } finally {
      lock.unlock();
    }
  }

  /** One record's tenure: the key it was fetched under and that key's epoch then. */
  public static final class Claim {
    private final Lease lease;
    private final Object key;
    private final int epoch;

    private Claim(Lease lease, Object key, int epoch) {
      this.lease = lease;
      this.key = key;
      this.epoch = epoch;
    }

    /** Its lease's term (zero for {@link #UNFENCED}). */
    public Duration term() {
      return lease == null ? Duration.ZERO : lease.term();
    }

    /** Its standing now, without waiting. */
    public Standing now() {
      return lease == null ? Standing.HELD : lease.standing(this);
    }

    /** {@link #await(Duration)} for up to the lease's term. */
    public Standing await() {
      return lease == null ? Standing.HELD : await(lease.term());
    }

    /**
     * Its standing once known: at once when held or lost; otherwise asks the holder for a
     * confirmation and waits up to {@code within} for it (or for the loss).
     */
    public Standing await(Duration within) {
      if (lease == null) {
        return Standing.HELD;
      }
      try {
        return lease.await(this, within);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return lease.standing(this);
      }
    }
  }
}
