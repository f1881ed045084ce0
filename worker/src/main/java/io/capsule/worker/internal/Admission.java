package io.capsule.worker.internal;

import java.time.Duration;

/**
 * Admits tasks while a slot is free and their ram caps fit the memory budget: the sum of the
 * running tasks' caps never exceeds it. Shared by all level consumers of a worker.
 *
 * <p>A task that has run for {@link #LONG_TASK} can give back its slot (never its ram) through
 * {@link Slot#turnLong()}, so that short tasks do not queue behind long ones; long tasks may then
 * add up to {@code slots × (}{@value #MAX_TASKS_PER_SLOT}{@code - 1)} tasks beyond the slots. The
 * cost: with many long CPU-bound tasks the cores are shared by more tasks than there are slots.
 */
public final class Admission {
  /** How long a task runs before it may give back its slot. */
  public static final Duration LONG_TASK = Duration.ofMillis(50);

  /** Tasks (long ones included) that may run at once, per slot. */
  public static final int MAX_TASKS_PER_SLOT = 4;

  private final int slots;
  private final long budget;
  private int running;
  private int longRunning;
  private long reserved;
  private long peakReserved;

  /** At most {@code slots} tasks and {@code budget} bytes of ram caps at once. */
  public Admission(int slots, long budget) {
    this.slots = slots;
    this.budget = budget;
  }

  /** The most tasks that can run at once, long ones included (size task pools to this). */
  public int maxTasks() {
    return slots * MAX_TASKS_PER_SLOT;
  }

  /** Whether a task with this cap could ever run here. */
  public boolean fitsAtAll(long ram) {
    return ram <= budget;
  }

  /** Reserves a slot and {@code ram} bytes if both are free. */
  public synchronized boolean tryAcquire(long ram) {
    if (running >= slots || running + longRunning >= maxTasks() || reserved + ram > budget) {
      return false;
    }
    running++;
    reserved += ram;
    peakReserved = Math.max(peakReserved, reserved);
    return true;
  }

  /** Like {@link #tryAcquire} but returns the reservation as a {@link Slot}, or null. */
  public Slot tryTake(long ram) {
    return tryAcquire(ram) ? new Slot(ram) : null;
  }

  /** Gives back what {@link #tryAcquire} reserved. */
  public synchronized void release(long ram) {
    running--;
    reserved -= ram;
  }

  /**
   * A running task (share mode: no {@link Slot}) stops counting while it waits for its sub-tasks:
   * its slot and ram cap are free for others (its children among them), so parents waiting on
   * children never starve them.
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

  /** Tasks running now (long ones included). */
  public synchronized int running() {
    return running + longRunning;
  }

  /** Bytes of ram caps reserved now. */
  public synchronized long reserved() {
    return reserved;
  }

  /** The most bytes ever reserved at once. */
  public synchronized long peakReserved() {
    return peakReserved;
  }

  /**
   * One task's reservation; thread-safe (guarded by the admission), released once. A slot may be
   * turned long (gives back its slot, keeps its ram) and suspended while its task waits for
   * sub-tasks (gives back both until it resumes).
   */
  public final class Slot {
    private static final int HOLDING = 0;
    private static final int LONG = 1;
    private static final int RELEASED = 2;

    private final long ram;
    private final long takenAt = System.nanoTime();
    private int state = HOLDING;
    private boolean suspended;

    private Slot(long ram) {
      this.ram = ram;
    }

    /** Whether the task has held its slot for {@link #LONG_TASK} by {@code nanoTime}. */
    public boolean isLongAt(long nanoTime) {
      return nanoTime - takenAt >= LONG_TASK.toNanos();
    }

    /** Whether the reservation was already given back. */
    public boolean released() {
      synchronized (Admission.this) {
        return state == RELEASED;
      }
    }

    /** Frees the slot of a task still running (its ram stays reserved); false if it ended. */
    public boolean turnLong() {
      synchronized (Admission.this) {
        if (state != HOLDING) {
          return false;
        }
        state = LONG;
        if (!suspended) {
          running--;
          longRunning++;
        }
        return true;
      }
    }

    /**
     * The task waits for its sub-tasks: its slot and ram are free until the returned action runs,
     * which counts it again even past the limits (see {@link Admission#resume}).
     */
    public Runnable suspend() {
      synchronized (Admission.this) {
        if (suspended || state == RELEASED) {
          return () -> {};
        }
        suspended = true;
        uncount();
      }
      return this::resume;
    }

    private void resume() {
      synchronized (Admission.this) {
        if (!suspended || state == RELEASED) {
          return;
        }
        suspended = false;
        reserved += ram;
        peakReserved = Math.max(peakReserved, reserved);
        if (state == HOLDING) {
          running++;
        } else {
          longRunning++;
        }
      }
    }

    /**
     * Gives back the slot (unless turned long or suspended) and the ram; later calls do nothing.
     */
    public void release() {
      synchronized (Admission.this) {
        if (state == RELEASED) {
          return;
        }
        if (!suspended) {
          uncount();
        }
        state = RELEASED;
        suspended = false;
      }
    }

    private void uncount() {
      reserved -= ram;
      if (state == HOLDING) {
        running--;
      } else {
        longRunning--;
      }
    }
  }
}
