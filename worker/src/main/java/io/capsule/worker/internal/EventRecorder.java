package io.capsule.worker.internal;

import io.capsule.protocol.LifecycleEvent;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Records this worker's own lifecycle events in two places on purpose: its {@link TaskLedger} at
 * once (so a redelivery of a task it just handled is recognised before the event is read back from
 * the topic, and a parent waiting here for a sub-task it cancelled sees it), then the events topic
 * through the {@link OutputPublisher}. In transactional mode it notes an event only once its
 * transaction committed: an aborted one's events never happened, and the records they concern run
 * again.
 */
public final class EventRecorder {
  private final OutputPublisher publisher;
  private final TaskLedger ledger;

  /** Events noted in {@code ledger} and sent through {@code publisher}. */
  public EventRecorder(OutputPublisher publisher, TaskLedger ledger) {
    this.publisher = publisher;
    this.ledger = ledger;
  }

  /** Notes and sends an event; completes when the broker acknowledged it. */
  public CompletableFuture<Void> record(LifecycleEvent event, String traceparent) {
    long at = System.currentTimeMillis();
    return noted(() -> publisher.event(event, traceparent), () -> ledger.note(event, at));
  }

  /**
   * Notes and sends a terminal event whose envelope was already written as {@code envelopeJson}
   * (for its reply); completes when the broker acknowledged it.
   */
  public CompletableFuture<Void> recordFinal(
      LifecycleEvent event, byte[] envelopeJson, String traceparent) {
    long at = System.currentTimeMillis();
    return noted(
        () -> publisher.finalEvent(event, envelopeJson, traceparent), () -> ledger.note(event, at));
  }

  /** Notes and sends a {@code running} event of the {@code delivery}-th delivery of its attempt. */
  public CompletableFuture<Void> recordRunning(
      LifecycleEvent event, String traceparent, int delivery) {
    long at = System.currentTimeMillis();
    return noted(
        () -> publisher.runningEvent(event, traceparent, delivery),
        () -> ledger.note(event, at, delivery));
  }

  /** Notes, then sends; in transactional mode sends, then notes once that committed. */
  private CompletableFuture<Void> noted(Supplier<CompletableFuture<Void>> send, Runnable note) {
    if (!publisher.transactional()) {
      note.run();
      return send.get();
    }
    return send.get().thenRun(note);
  }
}
