package io.capsule.worker.internal;

import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.DeadLetter;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.Execution;
import io.capsule.protocol.InvalidModuleException;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.ScriptRef;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import io.capsule.sandbox.GuestScript;
import io.capsule.sandbox.Sandbox;
import io.capsule.sandbox.TaskCall;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one attempt of a task and publishes what follows from it: on success the envelope and a
 * {@code succeeded} event; on a retryable failure with attempts left the next attempt (delayed by
 * backoff with jitter) and a {@code retrying} event; otherwise the final envelope, a {@code
 * dead_lettered} event and a dead letter. The returned future completes once the broker has
 * acknowledged every one of those records, which is when the record's offset may be committed.
 */
public final class TaskExecution {
  private static final Logger LOG = LoggerFactory.getLogger(TaskExecution.class);
  private static final String NOT_RETRYABLE = "not_retryable";

  /** The dead-letter reason of a task whose deliveries kept ending with their worker gone. */
  public static final String DELIVERY_LIMIT = "delivery_limit";

  private static final Duration RUNNING_ACK = Duration.ofSeconds(10);
  private static final Duration REPUBLISH_DELAY = Duration.ofSeconds(1);
  private static final Duration LEDGER_CATCH_UP = Duration.ofSeconds(10);

  private final Sandbox sandbox;
  private final ModuleCache modules;
  private final OutputPublisher publisher;
  private final TaskLedger ledger;
  private final WorkerMetrics metrics;
  private final RetryBackoff backoff;
  private final Duration defaultTimeout;
  private final RunningEvents runningEvents;
  private final CancelWatch cancels;
  private final String workerId;
  private final ChildTasks children;
  private final OperatorCeiling ceiling;
  private final int maxDeliveries;
  private final Map<String, TaskItem> runningItems = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** Runs tasks in {@code sandbox}, publishing through {@code publisher}. */
  public TaskExecution(
      Sandbox sandbox,
      ModuleCache modules,
      OutputPublisher publisher,
      TaskLedger ledger,
      WorkerMetrics metrics,
      RetryBackoff backoff,
      Duration defaultTimeout,
      RunningEvents runningEvents,
      CancelWatch cancels,
      String workerId,
      ChildTasks children,
      OperatorCeiling ceiling,
      int maxDeliveries) {
    this.sandbox = sandbox;
    this.modules = modules;
    this.publisher = publisher;
    this.ledger = ledger;
    this.metrics = metrics;
    this.backoff = backoff;
    this.defaultTimeout = defaultTimeout;
    this.runningEvents = runningEvents;
    this.cancels = cancels;
    this.workerId = workerId;
    this.children = children;
    this.ceiling = ceiling;
    this.maxDeliveries = maxDeliveries;
  }

  /**
   * Runs the item's attempt on this thread, then releases {@code release} and publishes the
   * outcome. Nothing is published for a recognised duplicate or an abandoned item.
   */
  public CompletableFuture<Void> run(TaskItem item, Runnable release) {
    TaskRequest request = item.request();
    Attempted attempted;
    CompletableFuture<Void> running;
    try {
      if (item.cancelled()) {
        LOG.info("task {} cancelled before it started", request.id());
        return CompletableFuture.completedFuture(null);
      }
      if (handledBefore(item)) {
        metrics.duplicateSkipped(item.level());
        LOG.info("task {} attempt {} already handled; skipping", request.id(), request.attempt());
        return CompletableFuture.completedFuture(null);
      }
      int delivery = delivery(item);
      if (delivery > maxDeliveries) {
        return publishOutcome(
            item, deliveryLimit(item, delivery - 1), CompletableFuture.completedFuture(null));
      }
      runningItems.put(request.id(), item);
      item.runningOn(Thread.currentThread());
      if (cancels.cancelledAfter(request.id(), item.timestamp())) {
        item.cancel(); // cancelled after it left the queue, before it was registered here
      }
      RunningEvents.Notice notice = announce(item, delivery);
      try {
        attempted = attempt(item);
      } finally {
        running = notice.finish();
        item.stoppedRunning();
        runningItems.remove(request.id(), item);
      }
    } finally {
      release.run();
    }
    if (item.cancelled()) {
      return publishCancelled(item, attempted.envelope(), running);
    }
    return publishOutcome(item, attempted, running);
  }

  /**
   * Which delivery of its attempt's record this is: 1 for a certainly first one, else one more than
   * the deliveries the ledger saw start without an outcome.
   */
  private int delivery(TaskItem item) {
    if (item.delivery() == TaskItem.Delivery.FIRST) {
      return 1;
    }
    TaskRequest request = item.request();
    return ledger.unfinishedDeliveries(request.id(), request.attempt(), item.timestamp()) + 1;
  }

  /**
   * The attempt's running event: after a while for a first delivery (most tasks end sooner), at
   * once and acknowledged for any other, so a task that kills its worker is counted each time.
   */
  private RunningEvents.Notice announce(TaskItem item, int delivery) {
    LifecycleEvent event = event(item, TaskState.RUNNING);
    if (item.delivery() == TaskItem.Delivery.FIRST) {
      return runningEvents.start(event, item.traceparent(), delivery);
    }
    return runningEvents.startAcknowledged(event, item.traceparent(), delivery, RUNNING_ACK);
  }

  private Attempted deliveryLimit(TaskItem item, int unfinished) {
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
    return new Attempted(
        failure(item.request(), ErrorType.INTERNAL_ERROR, message), DELIVERY_LIMIT);
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

  /**
   * A cancelled attempt publishes no envelope, retry or dead letter (the canceller already
   * published the task's {@code cancelled} event and told its waiting client); it repeats the
   * {@code cancelled} event so that it comes after this worker's own {@code running} event.
   */
  private CompletableFuture<Void> publishCancelled(
      TaskItem item, ResultEnvelope stopped, CompletableFuture<Void> running) {
    if (!item.beginPublishing()) {
      return CompletableFuture.completedFuture(null);
    }
    metrics.attempt(item.level(), stopped, "cancelled");
    LifecycleEvent cancelled =
        event(item, TaskState.CANCELLED).withError(null, "stopped by a cancel on " + workerId);
    CompletableFuture<Void> outputs =
        publishWithRetry(item, () -> publisher.event(cancelled, item.traceparent()));
    return CompletableFuture.allOf(running.exceptionally(e -> null), outputs);
  }

  /**
   * Whether the item's record was already handled (a redelivery): asked of the ledger only for
   * records that may have been, after it caught up for those delivered again.
   */
  private boolean handledBefore(TaskItem item) {
    TaskRequest request = item.request();
    switch (item.delivery()) {
      case FIRST:
        return false;
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

  /** Publishes a final failure for an item that cannot run here (e.g. too big for the budget). */
  public CompletableFuture<Void> reject(TaskItem item, ErrorType type, String message) {
    Execution none = new Execution(item.request().task(), 0, 0, 0, 0, List.of());
    ResultEnvelope envelope = ResultEnvelope.failure(type, message, none);
    return publishOutcome(
        item, new Attempted(envelope, null), CompletableFuture.completedFuture(null));
  }

  /** After this, publishing failures are no longer retried (the worker is stopping). */
  public void close() {
    closed = true;
  }

  /**
   * An attempt's envelope, and the dead-letter reason when it must not be retried whatever its
   * error type ({@code null}: decided by the type).
   */
  private record Attempted(ResultEnvelope envelope, String finalReason, Integer treeBudgetLeft) {
    Attempted(ResultEnvelope envelope, String finalReason) {
      this(envelope, finalReason, null);
    }
  }

  /** The one place that runs guest code; whatever it throws becomes a typed envelope. */
  private Attempted attempt(TaskItem item) {
    TaskRequest request = item.request();
    try {
      return runInSandbox(item);
    } catch (CapsuleException e) {
      return new Attempted(failure(request, e.errorType(), e.getMessage()), null);
    } catch (RuntimeException e) {
      if (item.cancelled()) {
        LOG.info("task {} stopped by its cancel", request.id());
        return new Attempted(failure(request, ErrorType.INTERNAL_ERROR, "cancelled"), null);
      }
      LOG.error("task {} failed inside the worker", request.id(), e);
      return new Attempted(failure(request, ErrorType.INTERNAL_ERROR, String.valueOf(e)), null);
    } catch (VirtualMachineError e) {
      // it would likely do the same to the next worker: never retried
      LOG.error("task {} caused {} in the worker; not retrying it", request.id(), e.toString());
      String message = "the task caused " + e.getClass().getName() + " in the worker";
      return new Attempted(failure(request, ErrorType.INTERNAL_ERROR, message), NOT_RETRYABLE);
    }
  }

  private Attempted runInSandbox(TaskItem item) {
    TaskRequest request = item.request();
    if (request.script() != null) {
      return runScript(item);
    }
    TaskCall call = new TaskCall(withinPolicy(request.options()), request.args());
    ResultEnvelope envelope =
        sandbox.attempt(sandbox.prepare(moduleBytes(request), call.options()), call);
    return new Attempted(envelope, null);
  }

  /**
   * A script's attempt: its sub-tasks become child requests, each within this task's grant, and
   * what the attempt left of its tree's sub-task budget is kept (for the parent, or a retry) even
   * when it fails.
   */
  private Attempted runScript(TaskItem item) {
    TaskRequest request = item.request();
    GuestScript script;
    TaskCall call;
    try {
      script = script(request.script());
      String task = script.entryTask(request.task()); // main, or the file's only task
      TaskOptions declared =
          request.options().toBuilder().name(task).build().over(script.optionsOf(task));
      call = new TaskCall(withinPolicy(declared), request.args());
    } catch (CapsuleException e) {
      Integer untouched = request.tree() == null ? null : request.tree().budget();
      return new Attempted(failure(request, e.errorType(), e.getMessage()), null, untouched);
    }
    try (ChildTasks.ParentRunner subTasks = children.forParent(item, call.options())) {
      ResultEnvelope envelope;
      try {
        envelope = sandbox.attempt(sandbox.prepare(script), call, subTasks);
      } catch (CapsuleException e) {
        envelope = failure(request, e.errorType(), e.getMessage());
      }
      return new Attempted(envelope, null, subTasks.budgetLeft());
    }
  }

  /**
   * The declared options with the worker's default timeout, narrowed by its policy's ceiling with
   * the one rule the sandbox also applies ({@link OperatorCeiling#narrow}), before the module is
   * prepared: a request over the ceiling costs no preparation.
   */
  private TaskOptions withinPolicy(TaskOptions declared) {
    return ceiling.narrow(withDefaultTimeout(declared), sandbox.config().filesRoot());
  }

  private TaskOptions withDefaultTimeout(TaskOptions options) {
    return options.timeout() != null
        ? options
        : options.toBuilder().timeout(defaultTimeout).build();
  }

  /** The script's source, inline or from the modules topic, read for its task declarations. */
  private GuestScript script(ScriptRef ref) {
    String source = ref.source();
    if (source == null) {
      byte[] bytes =
          modules
              .get(ref.sha256())
              .orElseThrow(
                  () ->
                      new InvalidModuleException(
                          "script " + ref.sha256() + " is not on the modules topic"));
      source = new String(bytes, StandardCharsets.UTF_8);
    }
    return GuestScript.of(ref.fileName(), source);
  }

  private byte[] moduleBytes(TaskRequest request) {
    if (request.module().inline() != null) {
      return request.module().inline();
    }
    String sha = request.module().sha256();
    return modules
        .get(sha)
        .orElseThrow(
            () -> new InvalidModuleException("module " + sha + " is not on the modules topic"));
  }

  private static ResultEnvelope failure(TaskRequest request, ErrorType type, String message) {
    return ResultEnvelope.failure(type, message, Execution.none(request.task()));
  }

  private CompletableFuture<Void> publishOutcome(
      TaskItem item, Attempted attempted, CompletableFuture<Void> running) {
    if (!item.beginPublishing()) {
      return CompletableFuture.completedFuture(null);
    }
    TaskRequest request = item.request();
    ResultEnvelope raw = attempted.envelope();
    ResultEnvelope envelope =
        raw.withExecution(
                raw.execution().withRetries(request.attempt() - 1, raw.execution().durationMs()))
            .withTask(request.id(), request.attempt(), workerId);
    // Sent from this thread, never from a send callback: a send that has to wait for a topic's
    // metadata would block the producer's own I/O thread.
    CompletableFuture<Void> outputs =
        publishWithRetry(
            item,
            () -> outputs(item, envelope, attempted.finalReason(), budgetLeft(item, attempted)));
    return CompletableFuture.allOf(running.exceptionally(e -> null), outputs);
  }

  /**
   * What a sub-task's attempt left of its tree budget, as its run counted it; none when that is
   * unknown (the worker itself failed), so neither its parent nor a retry gets more than is sure.
   * {@code null} for a root.
   */
  private static Integer budgetLeft(TaskItem item, Attempted attempted) {
    if (item.request().tree() == null) {
      return null;
    }
    return attempted.treeBudgetLeft() != null ? attempted.treeBudgetLeft() : 0;
  }

  private CompletableFuture<Void> outputs(
      TaskItem item, ResultEnvelope envelope, String finalReason, Integer treeBudgetLeft) {
    TaskRequest request = item.request();
    if (envelope.success()) {
      metrics.attempt(item.level(), envelope, "succeeded");
      return CompletableFuture.allOf(
          publisher.envelope(request, envelope, item.traceparent()),
          publisher.event(
              finalEvent(item, TaskState.SUCCEEDED, envelope).withTreeBudgetLeft(treeBudgetLeft),
              item.traceparent()));
    }
    ErrorType type = envelope.error().errorType();
    boolean retryable = type.retryable() && finalReason == null;
    if (retryable && request.attempt() <= maxRetries(request)) {
      return retry(item, envelope, treeBudgetLeft);
    }
    metrics.attempt(item.level(), envelope, type.wireName());
    String reason =
        finalReason != null
            ? finalReason
            : type.retryable() ? DeadLetter.RETRIES_EXHAUSTED : NOT_RETRYABLE;
    metrics.deadLetter(item.level(), reason);
    return CompletableFuture.allOf(
        publisher.envelope(request, envelope, item.traceparent()),
        publisher.event(
            finalEvent(item, TaskState.DEAD_LETTERED, envelope).withTreeBudgetLeft(treeBudgetLeft),
            item.traceparent()),
        publisher.deadLetter(deadLetter(item, envelope, reason), item.traceparent()));
  }

  /** The request's retries, never more than the policy's ceiling (retries are the worker's). */
  private int maxRetries(TaskRequest request) {
    int declared = request.options().maxRetriesOrDefault();
    return ceiling.maxRetries() == null ? declared : Math.min(declared, ceiling.maxRetries());
  }

  /**
   * The next attempt's request; a sub-task's keeps only the part of its tree budget this attempt
   * left, so its attempts together start no more sub-tasks than its parent handed it.
   */
  private CompletableFuture<Void> retry(
      TaskItem item, ResultEnvelope envelope, Integer treeBudgetLeft) {
    TaskRequest request = item.request();
    metrics.attempt(item.level(), envelope, "retried");
    metrics.retry(item.level());
    long notBefore = System.currentTimeMillis() + backoff.delayAfter(request.attempt()).toMillis();
    LifecycleEvent retrying =
        event(item, TaskState.RETRYING)
            .withError(envelope.error().errorType(), envelope.error().message());
    TaskRequest next = request.nextAttempt(notBefore);
    if (next.tree() != null && treeBudgetLeft != null) {
      next = next.withTree(next.tree().withBudget(treeBudgetLeft));
    }
    return CompletableFuture.allOf(
        publisher.request(item.partition().topic(), next, item.traceparent()),
        publisher.event(retrying, item.traceparent()));
  }

  private CompletableFuture<Void> publishWithRetry(
      TaskItem item, java.util.function.Supplier<CompletableFuture<Void>> sends) {
    return sends
        .get()
        .handle(
            (ok, error) -> {
              if (error == null) {
                return CompletableFuture.<Void>completedFuture(null);
              }
              if (closed) {
                return CompletableFuture.<Void>failedFuture(error);
              }
              LOG.warn("publishing task {} failed; trying again", item.request().id(), error);
              Executor later =
                  CompletableFuture.delayedExecutor(
                      REPUBLISH_DELAY.toMillis(), TimeUnit.MILLISECONDS);
              return CompletableFuture.supplyAsync(() -> null, later)
                  .thenCompose(x -> publishWithRetry(item, sends));
            })
        .thenCompose(f -> f);
  }

  private DeadLetter deadLetter(TaskItem item, ResultEnvelope envelope, String reason) {
    return new DeadLetter(
        DeadLetter.SCHEMA,
        item.request().id(),
        reason,
        envelope.error().errorType(),
        envelope.error().message(),
        item.request(),
        envelope,
        null,
        item.source(),
        System.currentTimeMillis());
  }

  private LifecycleEvent event(TaskItem item, TaskState state) {
    return LifecycleEvent.of(
            item.request().id(), state, item.level(), item.request().attempt(), workerId)
        .withParent(item.request().parentId());
  }

  private LifecycleEvent finalEvent(TaskItem item, TaskState state, ResultEnvelope envelope) {
    return LifecycleEvent.finalOf(item.request().id(), state, item.level(), workerId, envelope)
        .withParent(item.request().parentId());
  }
}
