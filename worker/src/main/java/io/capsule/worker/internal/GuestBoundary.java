package io.capsule.worker.internal;

import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.InvalidModuleException;
import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.ScriptRef;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import io.capsule.sandbox.GuestScript;
import io.capsule.sandbox.Sandbox;
import io.capsule.sandbox.TaskCall;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place in the worker that runs guest code: it resolves the module or script, narrows the
 * declared options to the worker's policy, runs the attempt in the sandbox and turns whatever it
 * throws into a typed {@link AttemptResult}.
 */
public final class GuestBoundary {
  private static final Logger LOG = LoggerFactory.getLogger(GuestBoundary.class);

  private final Sandbox sandbox;
  private final ModuleCache modules;
  private final ChildTasks children;
  private final OperatorCeiling ceiling;
  private final Duration defaultTimeout;

  /**
   * Attempts in {@code sandbox}, modules from {@code modules}, sub-tasks through {@code children},
   * options within {@code ceiling}, {@code defaultTimeout} for a task that names none.
   */
  public GuestBoundary(
      Sandbox sandbox,
      ModuleCache modules,
      ChildTasks children,
      OperatorCeiling ceiling,
      Duration defaultTimeout) {
    this.sandbox = sandbox;
    this.modules = modules;
    this.children = children;
    this.ceiling = ceiling;
    this.defaultTimeout = defaultTimeout;
  }

  /** Runs the item's attempt on this thread; never throws. */
  AttemptResult attempt(TaskItem item) {
    TaskRequest request = item.request();
    try {
      return runInSandbox(item);
    } catch (CapsuleException e) {
      return AttemptResult.failed(request, e.errorType(), e.getMessage());
    } catch (RuntimeException e) {
      if (item.cancelled()) {
        LOG.info("task {} stopped by its cancel", request.id());
        return AttemptResult.failed(request, ErrorType.INTERNAL_ERROR, "cancelled");
      }
      LOG.error("task {} failed inside the worker", request.id(), e);
      return AttemptResult.failed(request, ErrorType.INTERNAL_ERROR, String.valueOf(e));
    } catch (VirtualMachineError e) {
      // it would likely do the same to the next worker: never retried
      LOG.error("task {} caused {} in the worker; not retrying it", request.id(), e.toString());
      String message = "the task caused " + e.getClass().getName() + " in the worker";
      return new AttemptResult(
          AttemptResult.failure(request, ErrorType.INTERNAL_ERROR, message),
          OutcomePolicy.NOT_RETRYABLE);
    }
  }

  private AttemptResult runInSandbox(TaskItem item) {
    TaskRequest request = item.request();
    if (request.script() != null) {
      return runScript(item);
    }
    TaskCall call = new TaskCall(withinPolicy(request.options()), request.args());
    item.runsUnder(call.options().timeout());
    ResultEnvelope envelope =
        sandbox.attempt(sandbox.prepare(moduleBytes(request), call.options()), call);
    return new AttemptResult(envelope, null);
  }

  /**
   * A script's attempt: its sub-tasks become child requests, each within this task's grant, and
   * what the attempt left of its tree's sub-task budget is kept (for the parent, or a retry) even
   * when it fails.
   */
  private AttemptResult runScript(TaskItem item) {
    TaskRequest request = item.request();
    GuestScript script;
    TaskCall call;
    try {
      script = script(request.script());
      String task = script.entryTask(request.task()); // main, or the file's only task
      TaskOptions declared =
          request.options().toBuilder().name(task).build().over(script.optionsOf(task));
      call = new TaskCall(withinPolicy(declared), request.args());
      item.runsUnder(call.options().timeout());
    } catch (CapsuleException e) {
      Integer untouched = request.tree() == null ? null : request.tree().budget();
      return new AttemptResult(
          AttemptResult.failure(request, e.errorType(), e.getMessage()), null, untouched);
    }
    try (ChildTasks.ParentRunner subTasks = children.forParent(item, call.options())) {
      ResultEnvelope envelope;
      try {
        envelope = sandbox.attempt(sandbox.prepare(script), call, subTasks);
      } catch (CapsuleException e) {
        envelope = AttemptResult.failure(request, e.errorType(), e.getMessage());
      }
      return new AttemptResult(envelope, null, subTasks.budgetLeft());
    }
  }

  /**
   * The declared options with the worker's default timeout, narrowed by its policy's ceiling with
   * the one rule the sandbox also applies ({@link OperatorCeiling#narrow}), before the module is
   * prepared: a request over the ceiling costs no preparation.
   */
  private TaskOptions withinPolicy(TaskOptions declared) {
    TaskOptions timed =
        declared.timeout() != null
            ? declared
            : declared.toBuilder().timeout(defaultTimeout).build();
    return ceiling.narrow(timed, sandbox.config().filesRoot());
  }

  /** The script's source, inline or from the modules topic, read for its task declarations. */
  private GuestScript script(ScriptRef ref) {
    String source = ref.source();
    if (source == null) {
      source = new String(fromTopic(ref.sha256(), "script"), StandardCharsets.UTF_8);
    }
    return GuestScript.of(ref.fileName(), source);
  }

  private byte[] moduleBytes(TaskRequest request) {
    if (request.module().inline() != null) {
      return request.module().inline();
    }
    return fromTopic(request.module().sha256(), "module");
  }

  private byte[] fromTopic(String sha256, String what) {
    return modules
        .get(sha256)
        .orElseThrow(
            () -> new InvalidModuleException(what + " " + sha256 + " is not on the modules topic"));
  }
}
