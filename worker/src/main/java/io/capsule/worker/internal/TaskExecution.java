package io.capsule.worker.internal;

import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one attempt of a task, in roles: {@link Redeliveries} skips a duplicate and stops a task
 * whose deliveries keep losing their worker, {@link RunningEvents} announces it, the {@link
 * GuestBoundary} runs it, and the {@link OutcomePublisher} publishes what follows. This class holds
 * the order of those steps and the registry of running tasks a cancel stops.
 */
public final class TaskExecution implements TaskRunner {
  private static final Logger LOG = LoggerFactory.getLogger(TaskExecution.class);
  private static final Duration RUNNING_ACK = Duration.ofSeconds(10);

  private final GuestBoundary guest;
  private final OutcomePublisher outcomes;
  private final Redeliveries redeliveries;
  private final RunningEvents runningEvents;
  private final CancelWatch cancels;
  private final WorkerMetrics metrics;
  private final Map<String, TaskItem> runningItems = new ConcurrentHashMap<>();

  /** Attempts run by {@code guest}, their outcomes published by {@code outcomes}. */
  public TaskExecution(
      GuestBoundary guest,
      OutcomePublisher outcomes,
      Redeliveries redeliveries,
      RunningEvents runningEvents,
      CancelWatch cancels,
      WorkerMetrics metrics) {
    this.guest = guest;
    this.outcomes = outcomes;
    this.redeliveries = redeliveries;
    this.runningEvents = runningEvents;
    this.cancels = cancels;
    this.metrics = metrics;
  }

  /**
   * Runs the item's attempt on this thread, then releases {@code release} and publishes the
   * outcome. Nothing is published for a recognised duplicate or an abandoned item.
   */
  @Override
  public CompletableFuture<Void> run(TaskItem item, Runnable release) {
    TaskRequest request = item.request();
    AttemptResult attempted;
    CompletableFuture<Void> running;
    try {
      if (item.cancelled()) {
        LOG.info("task {} cancelled before it started", request.id());
        return CompletableFuture.completedFuture(null);
      }
      if (item.claim().now() == Lease.Standing.LOST && item.abandon()) {
        LOG.info("task {}: its record is no longer held here; not running it", request.id());
        return CompletableFuture.completedFuture(null);
      }
      if (redeliveries.handledBefore(item)) {
        metrics.duplicateSkipped(item.level());
        LOG.info("task {} attempt {} already handled; skipping", request.id(), request.attempt());
        return CompletableFuture.completedFuture(null);
      }
      int delivery = redeliveries.delivery(item);
      if (redeliveries.overLimit(delivery)) {
        return outcomes.publish(
            item,
            redeliveries.deliveryLimit(item, delivery - 1),
            CompletableFuture.completedFuture(null));
      }
      runningItems.put(request.id(), item);
      item.runningOn(Thread.currentThread());
      if (cancels.cancelledAfter(request.id(), item.timestamp())) {
        item.cancel(); // cancelled after it left the queue, before it was registered here
      }
      RunningEvents.Notice notice = announce(item, delivery);
      try {
        attempted = guest.attempt(item);
      } finally {
        running = notice.finish();
        item.stoppedRunning();
        runningItems.remove(request.id(), item);
      }
    } finally {
      release.run();
    }
    if (item.cancelled()) {
      return outcomes.cancelled(item, attempted.envelope(), running);
    }
    return outcomes.publish(item, attempted, running);
  }

  /**
   * The attempt's running event: after a while for a first delivery (most tasks end sooner), at
   * once and acknowledged for any other, so a task that kills its worker is counted each time.
   */
  private RunningEvents.Notice announce(TaskItem item, int delivery) {
    LifecycleEvent event = outcomes.event(item, TaskState.RUNNING);
    if (item.delivery() == TaskItem.Delivery.FIRST) {
      return runningEvents.start(item, event, delivery);
    }
    return runningEvents.startAcknowledged(item, event, delivery, RUNNING_ACK);
  }

  /**
   * Cancels the task if it runs (or is about to) on this worker: its attempt is stopped and nothing
   * but a {@code cancelled} event is published for it.
   *
   * @return whether it was running here
   */
  public boolean cancelRunning(String taskId) {
    TaskItem item = runningItems.get(taskId);
    if (item == null) {
      return false;
    }
    LOG.info("task {} cancelled while running; stopping it", taskId);
    item.cancel();
    return true;
  }
}
