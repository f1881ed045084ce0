package io.capsule.worker.internal;

/**
 * Admits tasks while a slot is free and their ram caps fit the memory budget: the sum of the
 * running tasks' caps never exceeds it. Shared by all level consumers of a worker.
 */
public final class Admission {
  private final int slots;
  private final long budget;
  private int running;
  private long reserved;
  private long peakReserved;

  /** At most {@code slots} tasks and {@code budget} bytes of ram caps at once. */
  public Admission(int slots, long budget) {
    this.slots = slots;
    this.budget = budget;
  }

  /** Whether a task with this cap could ever run here. */
  public boolean fitsAtAll(long ram) {
    return ram <= budget;
  }

  /** Reserves a slot and {@code ram} bytes if both are free. */
  public synchronized boolean tryAcquire(long ram) {
    if (running >= slots || reserved + ram > budget) {
      return false;
    }
    running++;
    reserved += ram;
    peakReserved = Math.max(peakReserved, reserved);
    return true;
  }

  /** Gives back what {@link #tryAcquire} reserved. */
  public synchronized void release(long ram) {
    running--;
    reserved -= ram;
  }

  /**
   * A running task stops counting while it waits for its sub-tasks: its slot and ram cap are free
   * for others (its children among them), so parents waiting on children never starve them.
   */
  public synchronized void suspend(long ram) {
    running--;
    reserved -= ram;
  }

  /**
   * The waiting task counts again, even if that takes the worker over its limits for a while (a
   * parent that had to wait for room could deadlock with the tasks holding it).
   */
  public synchronized void resume(long ram) {
    running++;
    reserved += ram;
    peakReserved = Math.max(peakReserved, reserved);
  }

  /** Tasks running now. */
  public synchronized int running() {
    return running;
  }

  /** Bytes of ram caps reserved now. */
  public synchronized long reserved() {
    return reserved;
  }

  /** The most bytes ever reserved at once. */
  public synchronized long peakReserved() {
    return peakReserved;
  }
}
