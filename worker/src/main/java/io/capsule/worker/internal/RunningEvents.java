package io.capsule.worker.internal;

import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.TaskState;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes an attempt's {@code running} event once it has run for a while ({@code after}), not as
 * it starts: most tasks of a busy fleet end sooner, and for them the event was a record written,
 * replicated and read by every ledger and client for a state nobody could observe. An attempt that
 * outlives the delay gets its event then, always before its outcome (see {@link Notice#finish}).
 *
 * <p>Attempts wait in one queue in start order (every one has the same delay), which one sweep on
 * the timer reads when its head is due, then at most every fifth of the delay while attempts wait:
 * an event may leave up to that much later than its delay. A timer task per attempt (scheduled,
 * then cancelled by nearly every attempt) cost each task a wake-up of the timer thread.
 */
public final class RunningEvents {
  private static final Logger LOG = LoggerFactory.getLogger(RunningEvents.class);

  private final EventRecorder events;
  private final ScheduledExecutorService timer;
  private final long afterMillis;
  private final long afterNanos;
  private final long sweepNanos;
  private final OutputFence fence;
  private final Queue<Notice> waiting = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean armed = new AtomicBoolean();

  /**
   * Events recorded through {@code events}, {@code after} an attempt starts, on {@code timer}, each
   * only while this worker holds its record ({@code fence}).
   */
  public RunningEvents(
      EventRecorder events, ScheduledExecutorService timer, Duration after, OutputFence fence) {
    this.events = events;
    this.timer = timer;
    this.afterMillis = after.toMillis();
    this.afterNanos = TimeUnit.MILLISECONDS.toNanos(afterMillis);
    this.sweepNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(1), afterNanos / 5);
    this.fence = fence;
  }

  /**
   * Starts the clock of one attempt whose running event is {@code event}, recording the {@code
   * delivery}-th delivery of its record.
   */
  public Notice start(TaskItem item, LifecycleEvent event, int delivery) {
    Notice notice = notice(item, event, delivery);
    if (afterMillis == 0) {
      notice.sendIf(fence.held(item, "running event"));
      return notice;
    }
    notice.dueAt = System.nanoTime() + afterNanos;
    waiting.add(notice);
    arm(afterNanos);
    return notice;
  }

  /** Schedules the sweep in {@code delayNanos} unless one is scheduled already. */
  private void arm(long delayNanos) {
    if (!armed.compareAndSet(false, true)) {
      return;
    }
    try {
      timer.schedule(this::sweep, delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // the worker is stopping: send what waits now (if still held) rather than never
      armed.set(false);
      for (Notice notice = waiting.poll(); notice != null; notice = waiting.poll()) {
        notice.run();
      }
    }
  }

  /**
   * Runs every waiting notice that is due (a finished attempt's sends nothing), then schedules the
   * next sweep for the first one still waiting, no sooner than {@code sweepNanos} from now.
   */
  private void sweep() {
    long now = System.nanoTime();
    for (Notice head = waiting.peek(); head != null; head = waiting.peek()) {
      if (head.dueAt - now > 0) {
        break;
      }
      waiting.poll();
      try {
        head.run();
      } catch (RuntimeException e) {
        // one event that could not be handed to the producer must not stop the others'
        LOG.warn("running event of task {} not sent", head.item.request().id(), e);
      }
    }
    armed.set(false);
    Notice next = waiting.peek(); // also one added while this sweep ran, which could not arm
    if (next != null) {
      arm(Math.max(sweepNanos, next.dueAt - System.nanoTime()));
    }
  }

  /**
   * Sends the running event now and waits up to {@code ack} for the broker to acknowledge it: for a
   * delivery that may follow one whose worker died, so that this delivery is counted before the
   * task can kill another worker.
   */
  public Notice startAcknowledged(TaskItem item, LifecycleEvent event, int delivery, Duration ack) {
    Notice notice = notice(item, event, delivery);
    notice.sendIf(fence.held(item, "running event"));
    try {
      notice.sent.get(ack.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      // the attempt runs anyway; at worst this delivery goes uncounted
    }
    return notice;
  }

  private Notice notice(TaskItem item, LifecycleEvent event, int delivery) {
    if (event.state() != TaskState.RUNNING) {
      throw new IllegalArgumentException("not a running event: " + event.state());
    }
    return new Notice(item, event, delivery);
  }

  /** One attempt's pending running event. */
  public final class Notice implements Runnable {
    private final TaskItem item;
    private final LifecycleEvent event;
    private final int delivery;
    private boolean finished; // guarded by this
    private CompletableFuture<Void> sent = CompletableFuture.completedFuture(null); // by this
    private long dueAt; // System.nanoTime() when its event is due; set before it is queued

    private Notice(TaskItem item, LifecycleEvent event, int delivery) {
      this.item = item;
      this.event = event;
      this.delivery = delivery;
    }

    /**
     * Sends the event unless the attempt has finished or this worker cannot show it still holds the
     * record (not worth waiting for on the timer: the event is then left out).
     */
    @Override
    public synchronized void run() {
      sendIf(!finished && fence.heldNow(item, "running event"));
    }

    private synchronized void sendIf(boolean held) {
      if (held && !finished) {
        sent = events.recordRunning(event, item.traceparent(), delivery);
      }
    }

    /**
     * The attempt has ended: no running event after this. Call before publishing the outcome: a
     * running event already handed to the producer precedes the outcome's records (one producer,
     * sends in call order), so the compacted events topic never ends on {@code running}.
     *
     * @return the running event's acknowledgement, or a completed future when none was sent
     */
    public synchronized CompletableFuture<Void> finish() {
      finished = true; // it leaves the queue at the sweep after its due time
      return sent;
    }
  }
}
