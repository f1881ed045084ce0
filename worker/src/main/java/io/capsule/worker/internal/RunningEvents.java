package io.capsule.worker.internal;

import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.TaskState;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Publishes an attempt's {@code running} event once it has run for a while ({@code after}), not as
 * it starts: most tasks of a busy fleet end sooner, and for them the event was a record written,
 * replicated and read by every ledger and client for a state nobody could observe. An attempt that
 * outlives the delay gets its event then, always before its outcome (see {@link Notice#finish}).
 */
public final class RunningEvents {
  private final EventRecorder events;
  private final ScheduledExecutorService timer;
  private final long afterMillis;
  private final OutputFence fence;

  /**
   * Events recorded through {@code events}, {@code after} an attempt starts, on {@code timer}, each
   * only while this worker holds its record ({@code fence}).
   */
  public RunningEvents(
      EventRecorder events, ScheduledExecutorService timer, Duration after, OutputFence fence) {
    this.events = events;
    this.timer = timer;
    this.afterMillis = after.toMillis();
    this.fence = fence;
  }

  /**
   * Starts the clock of one attempt whose running event is {@code event}, recording the {@code
   * delivery}-th delivery of its record.
   */
  public Notice start(TaskItem item, LifecycleEvent event, int delivery) {
    Notice notice = notice(item, event, delivery);
    notice.schedule();
    return notice;
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
    private ScheduledFuture<?> pending; // guarded by this

    private Notice(TaskItem item, LifecycleEvent event, int delivery) {
      this.item = item;
      this.event = event;
      this.delivery = delivery;
    }

    private synchronized void schedule() {
      if (afterMillis == 0) {
        sendIf(fence.held(item, "running event"));
        return;
      }
      try {
        pending = timer.schedule(this, afterMillis, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        run(); // the worker is stopping: send it now (if still held) rather than never
      }
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
      finished = true;
      if (pending != null) {
        pending.cancel(false);
      }
      return sent;
    }
  }
}
