package io.capsule.worker.internal;

import io.capsule.protocol.ErrorType;
import io.capsule.protocol.TaskRequest;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recognises, through the {@link TaskLedger}, a record delivered again: one already handled (a
 * duplicate, skipped) and one whose earlier deliveries kept ending with their worker gone (counted,
 * and dead-lettered past the operator's limit). Asks the ledger only about records that may have
 * been delivered before, and about retries (a retry published twice by an attempt that ran twice).
 */
public final class Redeliveries {
  private static final Logger LOG = LoggerFactory.getLogger(Redeliveries.class);
  private static final Duration LEDGER_CATCH_UP = Duration.ofSeconds(10);

  private final TaskLedger ledger;
  private final int maxDeliveries;

  /** Checks against {@code ledger}; at most {@code maxDeliveries} deliveries of an attempt run. */
  public Redeliveries(TaskLedger ledger, int maxDeliveries) {
    this.ledger = ledger;
    this.maxDeliveries = maxDeliveries;
  }

  /**
   * Whether the item's record was already handled (a redelivery): asked of the ledger only for
   * records that may have been, after it caught up for those delivered again.
   */
  boolean handledBefore(TaskItem item) {
    TaskRequest request = item.request();
    switch (item.delivery()) {
      case FIRST:
        // A retry's record may have a twin: when an attempt ran twice (windows (a) and (b) of the
        // delivery guarantee), each run published the next attempt. What this worker already
        // knows of the task (its own events, no catch-up) recognises the second of them.
        return request.attempt() > 1
            && ledger.alreadyHandled(request.id(), request.attempt(), item.timestamp());
      case REDELIVERED:
        if (!ledger.catchUp(LEDGER_CATCH_UP)) {
          LOG.warn(
              "events not read to the end within {}; task {} may run twice",
              LEDGER_CATCH_UP,
              request.id());
        }
        return ledger.alreadyHandled(request.id(), request.attempt(), item.timestamp());
      default:
        return ledger.alreadyHandled(request.id(), request.attempt(), item.timestamp());
    }
  }

  /**
   * Which delivery of its attempt's record this is: 1 for a certainly first one, else one more than
   * the deliveries the ledger saw start without an outcome.
   */
  int delivery(TaskItem item) {
    if (item.delivery() == TaskItem.Delivery.FIRST || item.delivery() == TaskItem.Delivery.REREAD) {
      return 1;
    }
    TaskRequest request = item.request();
    return ledger.unfinishedDeliveries(request.id(), request.attempt(), item.timestamp()) + 1;
  }

  /** Whether the {@code delivery}-th delivery is past the limit (it must not run). */
  boolean overLimit(int delivery) {
    return delivery > maxDeliveries;
  }

  /** The final failure of an item whose {@code unfinished} deliveries all lost their worker. */
  AttemptResult deliveryLimit(TaskItem item, int unfinished) {
    LOG.warn(
        "task {} dead-lettered: {} deliveries ended without an outcome",
        item.request().id(),
        unfinished);
    String message =
        "delivered "
            + unfinished
            + " times to workers that died (or lost it) before an outcome; this worker's limit is "
            + maxDeliveries
            + " deliveries, so it is dead-lettered instead of being handed to another worker";
    return new AttemptResult(
        AttemptResult.failure(item.request(), ErrorType.INTERNAL_ERROR, message),
        OutcomePolicy.DELIVERY_LIMIT);
  }
}
