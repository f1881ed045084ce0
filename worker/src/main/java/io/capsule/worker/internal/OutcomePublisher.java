package io.capsule.worker.internal;

import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.DeadLetter;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.Execution;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.RetryBackoff;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import io.capsule.protocol.TimeoutExceededException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Publishes what follows an attempt, as {@link OutcomePolicy} decides: on success the envelope and
 * a {@code succeeded} event; on a retry the next attempt (delayed by the backoff) and a {@code
 * retrying} event; otherwise the final envelope, a {@code dead_lettered} event and a dead letter.
 * With idempotent outputs the next attempt's request is sent only once its {@code retrying} event
 * is acknowledged; with transactional outputs both join the attempt's transaction. The returned
 * futures complete once the broker acknowledged every record (sent again until then, by the {@link
 * RetryingPublisher}) or their transaction committed, which is when the record's offset may be
 * committed.
 */
public final class OutcomePublisher {
  private final OutputPublisher publisher;
  private final EventRecorder events;
  private final RetryingPublisher retrying;
  private final OutcomePolicy policy;
  private final RetryBackoff backoff;
  private final WorkerMetrics metrics;
  private final String workerId;
  private final OutputFence fence;

  /** Outcomes decided by {@code policy}, published by worker {@code workerId}. */
  public OutcomePublisher(
      OutputPublisher publisher,
      EventRecorder events,
      RetryingPublisher retrying,
      OutcomePolicy policy,
      RetryBackoff backoff,
      WorkerMetrics metrics,
      String workerId) {
    this.publisher = publisher;
    this.events = events;
    this.retrying = retrying;
    this.policy = policy;
    this.backoff = backoff;
    this.metrics = metrics;
    this.workerId = workerId;
    this.fence = new OutputFence(metrics);
  }

  /**
   * Publishes the outcome of the item's attempt, after {@code running} (its running event, whose
   * failure does not hold the outcome back). Nothing when the item was abandoned, or when this
   * worker no longer holds its record when the outputs are to be sent ({@link OutputFence}). An
   * attempt whose wall clock passed its timeout ends {@code timeout} ({@link #onTheWallClock}).
   */
  public CompletableFuture<Void> publish(
      TaskItem item, AttemptResult attempted, CompletableFuture<Void> running) {
    if (!item.beginPublishing()) {
      return CompletableFuture.completedFuture(null);
    }
    TaskRequest request = item.request();
    ResultEnvelope raw = onTheWallClock(item, attempted.envelope());
    AttemptResult published =
        new AttemptResult(
            raw.withExecution(
                    raw.execution()
                        .withRetries(request.attempt() - 1, raw.execution().durationMs()))
                .withTask(request.id(), request.attempt(), workerId),
            attempted.finalReason(),
            attempted.treeBudgetLeft());
    // written once: for the size check, the reply and the terminal event
    byte[] json = CapsuleJson.writeBytes(published.envelope());
    AttemptResult enriched = policy.deliverable(published, json.length);
    if (enriched != published) {
      json = CapsuleJson.writeBytes(enriched.envelope());
    }
    Written envelope = new Written(enriched.envelope(), json);
    OutcomePolicy.Verdict verdict =
        policy.decide(request, envelope.envelope(), enriched.finalReason());
    Integer budgetLeft = budgetLeft(item, enriched);
    // Sent from this thread, never from a send callback: a send that has to wait for a topic's
    // metadata would block the producer's own I/O thread.
    CompletableFuture<Void> outputs =
        publisher.atomically(item, () -> outputs(item, envelope, verdict, budgetLeft));
    return CompletableFuture.allOf(running.exceptionally(e -> null), outputs);
  }

  /**
   * The attempt's envelope judged on the wall clock: an attempt that ran under a timeout and whose
   * duration, plus the time since it ended, is past that timeout when its outcome is published (its
   * worker was frozen, by SIGSTOP or a long GC pause, while or after it ran) ends {@code timeout}
   * with that wall-clock duration, whatever it returned.
   */
  static ResultEnvelope onTheWallClock(TaskItem item, ResultEnvelope envelope) {
    Duration timeout = item.timeout();
    boolean timedOut =
        envelope.error() != null && envelope.error().errorType() == ErrorType.TIMEOUT;
    if (timeout == null || timedOut) {
      return envelope;
    }
    long wallMs = envelope.execution().durationMs() + item.sinceAttemptEndedMs();
    if (wallMs <= timeout.toMillis()) {
      return envelope;
    }
    String message =
        new TimeoutExceededException(timeout).getMessage()
            + " ("
            + wallMs
            + " ms on the wall clock when its outcome was published)";
    Execution execution = envelope.execution();
    return ResultEnvelope.failure(
            ErrorType.TIMEOUT, message, execution.withRetries(execution.retries(), wallMs))
        .withLogs(envelope.logs());
  }

  /** An envelope and its JSON, as written once for every record that carries it. */
  private record Written(ResultEnvelope envelope, byte[] json) {}

  /** Publishes a final failure for an item that cannot run here (e.g. too big for the budget). */
  public CompletableFuture<Void> reject(TaskItem item, ErrorType type, String message) {
    ResultEnvelope envelope = AttemptResult.failure(item.request(), type, message);
    return publish(
        item, new AttemptResult(envelope, null), CompletableFuture.completedFuture(null));
  }

  /**
   * A cancelled attempt publishes no envelope, retry or dead letter (the canceller already
   * published the task's {@code cancelled} event and told its waiting client); it repeats the
   * {@code cancelled} event so that it comes after this worker's own {@code running} event.
   */
  public CompletableFuture<Void> cancelled(
      TaskItem item, ResultEnvelope stopped, CompletableFuture<Void> running) {
    if (!item.beginPublishing()) {
      return CompletableFuture.completedFuture(null);
    }
    metrics.attempt(item.level(), stopped, "cancelled");
    LifecycleEvent cancelled =
        event(item, TaskState.CANCELLED).withError(null, "stopped by a cancel on " + workerId);
    CompletableFuture<Void> outputs =
        publisher.atomically(
            item,
            () ->
                send(item, "cancelled event", () -> events.record(cancelled, item.traceparent())));
    return CompletableFuture.allOf(running.exceptionally(e -> null), outputs);
  }

  /**
   * Dead-letters a record that is not a readable request (sent once: a failure leaves the record to
   * be read again).
   */
  public CompletableFuture<Void> unreadable(String level, DeadLetter letter, String traceparent) {
    metrics.deadLetter(level, DeadLetter.UNREADABLE);
    return publisher.deadLetter(letter, traceparent);
  }

  /**
   * What a sub-task's attempt left of its tree budget, as its run counted it; none when that is
   * unknown (the worker itself failed), so neither its parent nor a retry gets more than is sure.
   * {@code null} for a root.
   */
  private static Integer budgetLeft(TaskItem item, AttemptResult attempted) {
    if (item.request().tree() == null) {
      return null;
    }
    return attempted.treeBudgetLeft() != null ? attempted.treeBudgetLeft() : 0;
  }

  /**
   * One output of the item's attempt, sent while this worker holds its record ({@link OutputFence})
   * and sent again on its own until the broker acknowledges it: never with the outputs already
   * acknowledged (sending a whole round again would write a second envelope when only its event had
   * failed, e.g. behind a partition leader being killed). In transactional mode the output only
   * joins the attempt's transaction, which fences and retries as one ({@link
   * TransactionalOutputs}).
   */
  private CompletableFuture<Void> send(
      TaskItem item, String what, Supplier<CompletableFuture<Void>> output) {
    if (publisher.transactional()) {
      return output.get();
    }
    return retrying.publish(item.request().id(), () -> fence.send(item, what, output));
  }

  private CompletableFuture<Void> outputs(
      TaskItem item, Written envelope, OutcomePolicy.Verdict verdict, Integer budgetLeft) {
    return switch (verdict.next()) {
      case SUCCEED -> succeed(item, envelope, budgetLeft);
      case RETRY -> retry(item, envelope, budgetLeft);
      case DEAD_LETTER -> deadLetter(item, envelope, verdict.reason(), budgetLeft);
    };
  }

  private CompletableFuture<Void> succeed(TaskItem item, Written envelope, Integer budgetLeft) {
    metrics.attempt(item.level(), envelope.envelope(), "succeeded");
    return envelopeAndFinalEvent(item, envelope, TaskState.SUCCEEDED, budgetLeft);
  }

  /** The reply and the terminal event that embeds it, the envelope written once for both. */
  private CompletableFuture<Void> envelopeAndFinalEvent(
      TaskItem item, Written envelope, TaskState state, Integer budgetLeft) {
    byte[] json = envelope.json();
    LifecycleEvent last =
        finalEvent(item, state, envelope.envelope()).withTreeBudgetLeft(budgetLeft);
    return CompletableFuture.allOf(
        send(item, "envelope", () -> publisher.envelope(item.request(), json, item.traceparent())),
        send(item, "final event", () -> events.recordFinal(last, json, item.traceparent())));
  }

  /**
   * The next attempt's request; a sub-task's keeps only the part of its tree budget this attempt
   * left, so its attempts together start no more sub-tasks than its parent handed it.
   */
  private CompletableFuture<Void> retry(TaskItem item, Written written, Integer budgetLeft) {
    TaskRequest request = item.request();
    ResultEnvelope envelope = written.envelope();
    metrics.attempt(item.level(), envelope, "retried");
    metrics.retry(item.level());
    long notBefore = System.currentTimeMillis() + backoff.delayBefore(request.attempt()).toMillis();
    LifecycleEvent retryingEvent =
        event(item, TaskState.RETRYING)
            .withError(envelope.error().errorType(), envelope.error().message());
    TaskRequest next = request.nextAttempt(notBefore);
    if (next.tree() != null && budgetLeft != null) {
      next = next.withTree(next.tree().withBudget(budgetLeft));
    }
    // A next attempt its topic can never take (its request grew past the topic's record limit)
    // ends the task dead-lettered instead of being dropped: the task still gets its outcome.
    TaskRequest nextAttempt = next;
    Supplier<CompletableFuture<Void>> nextRequest =
        () ->
            publisher
                .request(item.partition().topic(), nextAttempt, item.traceparent())
                .exceptionallyCompose(
                    error ->
                        RetryingPublisher.neverFits(error)
                            ? deadLettered(item, written, DeadLetter.RETRY_TOO_LARGE, budgetLeft)
                            : CompletableFuture.failedFuture(error));
    CompletableFuture<Void> retryingSent =
        send(item, "retrying event", () -> events.record(retryingEvent, item.traceparent()));
    if (publisher.transactional()) {
      // Both join the attempt's transaction, committed with its record's offset: the next attempt
      // can read its request only once this retrying event is visible, so nothing it writes comes
      // before it. Sent after the commit instead, the request went into a later transaction whose
      // abort lost it, its record's offset already committed (a quick chaos run lost a task so).
      return CompletableFuture.allOf(retryingSent, nextRequest.get());
    }
    // The retrying event first, the next attempt's request only once the broker has that event:
    // the next attempt, on whichever worker takes it, then cannot publish its events before this
    // one (two producers' records reach a partition in no order between them), which had left
    // tasks whose last event was this retrying event, after their final one.
    return retrying.publishAfter(
        retryingSent, request.id(), () -> fence.send(item, "retry request", nextRequest));
  }

  private CompletableFuture<Void> deadLetter(
      TaskItem item, Written envelope, String reason, Integer budgetLeft) {
    ResultEnvelope failed = envelope.envelope();
    metrics.attempt(item.level(), failed, failed.error().errorType().wireName());
    return deadLettered(item, envelope, reason, budgetLeft);
  }

  /** The dead-letter outputs of an attempt already counted (as failed or retried). */
  private CompletableFuture<Void> deadLettered(
      TaskItem item, Written envelope, String reason, Integer budgetLeft) {
    metrics.deadLetter(item.level(), reason);
    return CompletableFuture.allOf(
        envelopeAndFinalEvent(item, envelope, TaskState.DEAD_LETTERED, budgetLeft),
        send(
            item,
            "dead letter",
            () ->
                publisher.deadLetter(
                    letter(item, envelope.envelope(), reason), item.traceparent())));
  }

  private static DeadLetter letter(TaskItem item, ResultEnvelope envelope, String reason) {
    return DeadLetter.failed(item.request(), envelope, reason, item.source());
  }

  /** A lifecycle event of the item's attempt, from this worker. */
  LifecycleEvent event(TaskItem item, TaskState state) {
    return LifecycleEvent.of(
            item.request().id(), state, item.level(), item.request().attempt(), workerId)
        .withParent(item.request().parentId());
  }

  private LifecycleEvent finalEvent(TaskItem item, TaskState state, ResultEnvelope envelope) {
    return LifecycleEvent.finalOf(item.request().id(), state, item.level(), workerId, envelope)
        .withParent(item.request().parentId());
  }
}
