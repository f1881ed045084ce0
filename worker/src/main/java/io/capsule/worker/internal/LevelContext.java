package io.capsule.worker.internal;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What a level consumer (classic or share) needs from its worker, and nothing more: running and
 * publishing are the intake's and the execution's.
 *
 * @param intake reads records and starts admitted tasks
 * @param admission the worker's slots and memory budget
 * @param timer holds records due later ({@code not_before}; classic mode)
 * @param ledger caught up when partitions are assigned (a previous owner's outputs; classic mode)
 * @param metrics lag and lock renewals
 */
public record LevelContext(
    RecordIntake intake,
    Admission admission,
    ScheduledExecutorService timer,
    LevelContext.LedgerCatchUp ledger,
    WorkerMetrics metrics) {

  /** Reads the events topic to its end ({@link TaskLedger#catchUp}). */
  @FunctionalInterface
  public interface LedgerCatchUp {
    /** Whether the end was reached {@code within}. */
    boolean catchUp(Duration within);
  }
}
