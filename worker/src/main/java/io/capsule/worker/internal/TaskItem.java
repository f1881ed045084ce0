package io.capsule.worker.internal;

import io.capsule.protocol.TaskRequest;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;

/**
 * One fetched task record on its way through the worker. Its phase decides a race between the task
 * finishing and its partition being revoked: once abandoned it publishes nothing (the new owner of
 * the partition runs it again); once publishing it can no longer be abandoned.
 */
public final class TaskItem {
  /** Whether the record may have been handled before, as far as its consumer can tell. */
  public enum Delivery {
    /** Certainly its first delivery: no ledger check. */
    FIRST,
    /**
     * Fetched below the end its partition had when this worker was assigned it: a previous owner
     * may have handled it; the ledger caught up at the assignment.
     */
    REASSIGNED,
    /**
     * Read again by the same worker in the same tenure of its partition, after a transaction that
     * held its outputs was aborted (transactional outputs): checked against the ledger like a
     * reassigned record, but not counted as a delivery to a worker that died.
     */
    REREAD,
    /** Delivered again (share groups): the ledger must catch up before it is checked. */
    REDELIVERED
  }

  private static final int RUNNING = 0;
  private static final int PUBLISHING = 1;
  private static final int ABANDONED = 2;

  private final TopicPartition partition;
  private final long offset;
  private final long timestamp;
  private final String level;
  private final TaskRequest request;
  private final long ram;
  private final String traceparent;
  private final Delivery delivery;
  private final AtomicInteger phase = new AtomicInteger(RUNNING);
  private volatile Admission.Slot slot;
  private Thread runner; // guarded by this
  private volatile boolean cancelled;
  private volatile Lease.Claim claim = Lease.UNFENCED;
  private volatile java.time.Duration timeout;
  private volatile Long attemptEndedNanos;

  /** A readable request fetched from {@code partition} at {@code offset}. */
  public TaskItem(
      TopicPartition partition,
      long offset,
      long timestamp,
      String level,
      TaskRequest request,
      long ram,
      String traceparent,
      Delivery delivery) {
    this.partition = partition;
    this.offset = offset;
    this.timestamp = timestamp;
    this.level = level;
    this.request = request;
    this.ram = ram;
    this.traceparent = traceparent;
    this.delivery = delivery;
  }

  /** Whether the record may have been handled before. */
  public Delivery delivery() {
    return delivery;
  }

  /** The partition it came from. */
  public TopicPartition partition() {
    return partition;
  }

  /** Its offset. */
  public long offset() {
    return offset;
  }

  /** The record's timestamp (epoch ms). */
  public long timestamp() {
    return timestamp;
  }

  /** The level name, lower-case. */
  public String level() {
    return level;
  }

  /** The request. */
  public TaskRequest request() {
    return request;
  }

  /** Records the admission slot the task runs in. */
  public void holds(Admission.Slot slot) {
    this.slot = slot;
  }

  /** The admission slot the task runs in (classic mode), or {@code null}. */
  public Admission.Slot slot() {
    return slot;
  }

  /** The ram cap reserved for it, in bytes. */
  public long ram() {
    return ram;
  }

  /** The request's W3C trace context, or {@code null}. */
  public String traceparent() {
    return traceparent;
  }

  /** {@code topic/partition/offset}. */
  public String source() {
    return partition.topic() + "/" + partition.partition() + "/" + offset;
  }

  /** Claims the right to publish; false when already abandoned. */
  public boolean beginPublishing() {
    return phase.compareAndSet(RUNNING, PUBLISHING);
  }

  /** Gives the task back; false when it is already publishing. */
  public boolean abandon() {
    return phase.compareAndSet(RUNNING, ABANDONED);
  }

  /**
   * Cancels the task: if it runs, the thread running it is interrupted (the sandbox stops the
   * attempt as on a timeout); if it has not started, it never will.
   */
  public synchronized void cancel() {
    cancelled = true;
    if (runner != null) {
      runner.interrupt();
    }
  }

  /** Whether it was cancelled. */
  public boolean cancelled() {
    return cancelled;
  }

  /** The calling thread runs the task from now on (it is interrupted if the task is cancelled). */
  public synchronized void runningOn(Thread thread) {
    runner = thread;
    if (cancelled) {
      thread.interrupt();
    }
  }

  /**
   * Called by the running thread when the attempt is over: a cancel no longer interrupts it, and an
   * interrupt a cancel left behind is cleared.
   */
  public synchronized void stoppedRunning() {
    runner = null;
    attemptEndedNanos = System.nanoTime();
    Thread.interrupted();
  }

  /** Fences its outputs by {@code claim}: its holder's tenure of the record when it was fetched. */
  public void fencedBy(Lease.Claim claim) {
    this.claim = claim;
  }

  /** Its holder's tenure of the record ({@link Lease#UNFENCED} when none was given). */
  public Lease.Claim claim() {
    return claim;
  }

  /** The timeout its attempt runs under, once the policy has been applied. */
  public void runsUnder(java.time.Duration timeout) {
    this.timeout = timeout;
  }

  /** The timeout its attempt ran under, or {@code null} when it never reached the sandbox. */
  public java.time.Duration timeout() {
    return timeout;
  }

  /** Milliseconds since its attempt ended (0 while it runs or when it never ran). */
  public long sinceAttemptEndedMs() {
    Long ended = attemptEndedNanos;
    return ended == null
        ? 0
        : java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - ended);
  }

  /** Whether it was given back. */
  public boolean abandoned() {
    return phase.get() == ABANDONED;
  }
}
