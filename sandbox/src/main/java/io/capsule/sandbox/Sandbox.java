package io.capsule.sandbox;

import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.InternalException;
import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.RetryBackoff;
import io.capsule.protocol.Sha256;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.internal.PreparationBudget;
import io.capsule.sandbox.internal.PreparationPool;
import io.capsule.sandbox.internal.net.HttpTransport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Runs tasks: WASI preview1 command modules with fuel, memory, timeout and allowlist limits. One
 * sandbox serves many tasks concurrently; modules are prepared (validated, instrumented, compiled)
 * once and reused by content hash.
 *
 * <pre>{@code
 * try (var sandbox = Sandbox.create(SandboxConfig.defaults())) {
 *   PreparedModule module = sandbox.prepare(Files.readAllBytes(path));
 *   ResultEnvelope envelope = sandbox.run(module, TaskCall.of(List.of()));
 * }
 * }</pre>
 */
public final class Sandbox implements AutoCloseable {
  private static final long GUEST_STACK_BYTES = 8L << 20;

  private final SandboxConfig config;
  private final ModulePreparer preparer;
  private final RetryBackoff backoff;
  private final ExecutorService guestThreads;
  private final HttpTransport http;
  private final PreparedModules prepared;
  private final Map<GuestScript.Language, ScriptInterpreter> scripts;
  private final boolean ownsThreads;
  private final PreparationPool preparations;
  private final TaskAttempts attempts;

  private Sandbox(SandboxConfig config) {
    this.config = config;
    this.preparer = new ModulePreparer(config);
    this.backoff = new RetryBackoff(config.retryBackoff(), config.maxRetryBackoff());
    this.guestThreads = Executors.newCachedThreadPool(guestThreadFactory());
    this.http = HttpTransport.create(config.http());
    this.prepared = new PreparedModules();
    this.scripts = scriptInterpreters(new Interpreters(config, preparer, prepared));
    this.ownsThreads = true;
    this.preparations = PreparationPool.of(config.maxConcurrentPreparations());
    this.attempts = new TaskAttempts(config, guestThreads, http, this::runAttempts);
  }

  /** A view of {@code shared} with another configuration (see {@link #forCaller}). */
  private Sandbox(SandboxConfig config, Sandbox shared) {
    this.config = config;
    this.preparer = shared.preparer;
    this.backoff = shared.backoff;
    this.guestThreads = shared.guestThreads;
    this.http = shared.http;
    this.prepared = shared.prepared;
    this.scripts = shared.scripts;
    this.ownsThreads = false;
    this.preparations = shared.preparations;
    this.attempts = new TaskAttempts(config, guestThreads, http, this::runAttempts);
  }

  /**
   * Each script language's interpreter; Python resumes from snapshots in compiled sandboxes with a
   * cache directory.
   */
  private Map<GuestScript.Language, ScriptInterpreter> scriptInterpreters(
      Interpreters interpreters) {
    PythonSnapshots snapshots =
        config.executionMode() == ExecutionMode.COMPILED && config.cacheDir() != null
            ? new PythonSnapshots(preparer, guestThreads, config.cacheDir(), System.err)
            : null;
    return Map.of(
        GuestScript.Language.PYTHON,
        new PythonInterpreter(interpreters, snapshots, this::attempt),
        GuestScript.Language.JAVASCRIPT,
        new JavaScriptInterpreter(interpreters, guestThreads));
  }

  /** A sandbox with these settings. Close it to release its threads. */
  public static Sandbox create(SandboxConfig config) {
    return new Sandbox(config);
  }

  /**
   * A sandbox sharing this one's prepared modules, interpreter snapshots, threads and HTTP client,
   * whose tasks resolve {@code allowed_files} under {@code filesRoot} and pick {@code
   * env_variables} from {@code environment}: for a long-lived process that serves callers with
   * working directories and environments of their own (the local daemon). Closing the view does
   * nothing; close this sandbox.
   *
   * @throws IllegalArgumentException when {@code filesRoot} is not a directory
   */
  public Sandbox forCaller(Path filesRoot, Map<String, String> environment) {
    return new Sandbox(config.forCaller(filesRoot, environment), this);
  }

  /**
   * {@link #forCaller(Path, Map)} whose tasks, and all their sub-tasks, are bounded by {@code
   * ceiling}: the caller's operator grant (a local run's flags and {@code capsule.toml}).
   *
   * @throws IllegalArgumentException when {@code filesRoot} is not a directory
   */
  public Sandbox forCaller(
      Path filesRoot, Map<String, String> environment, OperatorCeiling ceiling) {
    return new Sandbox(config.forCaller(filesRoot, environment, ceiling), this);
  }

  /** This sandbox's settings. */
  public SandboxConfig config() {
    return config;
  }

  /**
   * Validates, instruments and compiles a module, or returns the one prepared earlier from the same
   * bytes, within {@linkplain SandboxConfig#preparationTimeout() the preparation timeout}.
   *
   * @throws io.capsule.protocol.InvalidModuleException when the bytes are not a valid task module,
   *     or their preparation exceeded its time budget
   */
  public PreparedModule prepare(byte[] wasm) {
    return prepare(wasm, TaskOptions.NONE);
  }

  /**
   * {@link #prepare(byte[])} for a task with {@code options}: a task with a {@code timeout} gets
   * that long for preparation, but at least {@linkplain SandboxConfig#minPreparationTime() the
   * minimum preparation time} and at most {@linkplain SandboxConfig#preparationTimeout() the
   * preparation timeout}. The budget is the preparation's own: it is not taken from the run's
   * timeout, and a module prepared earlier from the same bytes costs nothing. Preparation runs in a
   * pool of {@linkplain SandboxConfig#maxConcurrentPreparations() a bounded number of slots},
   * waiting for one within the budget; at the deadline the caller gets {@code invalid_module}
   * naming the budget and the stage, and the thread stops at its next stage boundary, keeping its
   * slot until then.
   *
   * @throws io.capsule.protocol.InvalidModuleException when the bytes are not a valid task module,
   *     or their preparation exceeded its time budget
   */
  public PreparedModule prepare(byte[] wasm, TaskOptions options) {
    return prepared.get(
        Sha256.hex(wasm),
        () -> within(options, budget -> preparer.prepare(wasm, Map.of(), budget)));
  }

  /**
   * Prepares a task file's module: an artifact's compiled classes are used instead of compiling.
   *
   * @throws io.capsule.protocol.InvalidModuleException when the module is not a valid task module
   */
  public PreparedModule prepare(TaskFile file) {
    return prepare(file, TaskOptions.NONE);
  }

  /**
   * {@link #prepare(TaskFile)} within the budget of a task with {@code options} (see {@link
   * #prepare(byte[], TaskOptions)}).
   *
   * @throws io.capsule.protocol.InvalidModuleException when the module is not a valid task module,
   *     or its preparation exceeded its time budget
   */
  public PreparedModule prepare(TaskFile file, TaskOptions options) {
    if (file.scriptArtifact() != null) {
      return file.scriptArtifact().prepareIn(this);
    }
    if (file.script() != null) {
      return scripts.get(file.script().language()).bind(file.wasm(), file.script());
    }
    return file.artifact() != null
        ? prepare(file.artifact(), options)
        : prepare(file.wasm(), options);
  }

  /**
   * Runs {@code preparation} in the preparation pool (at most {@link
   * SandboxConfig#maxConcurrentPreparations()} at once, a permit waited for within the budget) and
   * waits for it up to its budget; past that, the thread is interrupted and abandoned (it stops at
   * its next stage, keeping its permit until then) and the caller gets {@code invalid_module}.
   */
  private PreparedModule within(
      TaskOptions options, Function<PreparationBudget, PreparedModule> preparation) {
    var budget =
        PreparationBudget.of(
            options.timeout(), config.minPreparationTime(), config.preparationTimeout());
    return preparations.run(budget, preparation);
  }

  /** The pool untrusted modules are prepared in (shared with this sandbox's views). */
  PreparationPool preparations() {
    return preparations;
  }

  /**
   * Prepares a built artifact's module, using its compiled classes instead of compiling when this
   * installation signed them ({@link TaskArtifact#trustedClasses}).
   *
   * @throws io.capsule.protocol.InvalidModuleException when the module is not a valid task module
   */
  public PreparedModule prepare(TaskArtifact artifact) {
    return prepare(artifact, artifact.options());
  }

  private PreparedModule prepare(TaskArtifact artifact, TaskOptions options) {
    Map<String, byte[]> precompiled = artifact.trustedClasses(config.cacheDir());
    return prepared.remember(
        within(options, budget -> preparer.prepare(artifact.wasm(), precompiled, budget)));
  }

  /**
   * Runs a task to its final outcome, retrying retryable failures up to {@code max_retries} times
   * with backoff. Never throws for anything the task does: failures are in the envelope. The
   * options the task declared are first {@linkplain OperatorCeiling#narrow bounded by the
   * operator's ceiling} (see {@link #attempt(PreparedModule, TaskCall)}).
   */
  public ResultEnvelope run(PreparedModule module, TaskCall call) {
    return run(module, call, AttemptListener.NONE);
  }

  /**
   * {@link #run(PreparedModule, TaskCall)}, telling {@code listener} about each attempt and each
   * line the task (or a sub-task run here) writes to its logs, as it writes it.
   */
  public ResultEnvelope run(PreparedModule module, TaskCall call, AttemptListener listener) {
    return runAttempts(
        call, listener, bounded -> attempts.root(module, bounded, null, listener::taskOutput));
  }

  /** The retry loop around {@code attempt}, over the call bounded by the ceiling. */
  private ResultEnvelope runAttempts(
      TaskCall call, AttemptListener listener, Function<TaskCall, ResultEnvelope> attempt) {
    long start = System.nanoTime();
    TaskCall bounded;
    try {
      bounded = attempts.bound(call);
    } catch (CapsuleException e) {
      ResultEnvelope refused = TaskAttempts.refused(call, e);
      listener.attemptFinished(1, refused, null);
      return refused.withTask(refused.taskId(), 1, refused.worker());
    }
    int maxRetries = bounded.options().maxRetriesOrDefault();
    int retries = 0;
    ResultEnvelope envelope = attempt.apply(bounded);
    while (shouldRetry(envelope, retries, maxRetries)) {
      Duration delay = backoff.delayBefore(++retries);
      listener.attemptFinished(retries, envelope, delay);
      if (!sleep(delay)) {
        break;
      }
      envelope = attempt.apply(bounded);
    }
    listener.attemptFinished(retries + 1, envelope, null);
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    return envelope
        .withExecution(envelope.execution().withRetries(retries, millis))
        .withTask(envelope.taskId(), retries + 1, envelope.worker());
  }

  private static boolean shouldRetry(ResultEnvelope envelope, int retries, int maxRetries) {
    return !envelope.success() && envelope.error().errorType().retryable() && retries < maxRetries;
  }

  /**
   * Runs one attempt only, ignoring {@code max_retries}: for callers that schedule retries
   * themselves. The declared options are bounded by the operator's ceiling ({@link
   * SandboxConfig#ceiling()}); so are those of every sub-task the task starts, each in its own
   * sandbox here, concurrently. The attempt's sub-tasks form a tree bounded by {@link
   * SandboxConfig#maxSubTasks()} and {@link SandboxConfig#maxSubTaskDepth()}, whose attempts (this
   * one's included) draw their fuel from one pool the size of this task's budget; sub-tasks still
   * running when the attempt ends are cancelled (interrupted), with theirs.
   */
  public ResultEnvelope attempt(PreparedModule module, TaskCall call) {
    return attempts.root(module, call, null, line -> {});
  }

  /**
   * {@link #attempt(PreparedModule, TaskCall)} with the script's sub-tasks started by {@code
   * subTasks} (e.g. as fleet child requests) instead of in fresh sandboxes here. Each sub-task's
   * declared options are bounded by the ceiling before {@code subTasks} sees them (a sub-task above
   * a rejecting ceiling completes with its {@code permission_denied} envelope) and the count cap
   * applies. The runner's sub-tasks run elsewhere, each with its own fuel budget there; their depth
   * is counted from {@link SubTaskRunner#depth()}; {@code subTasks} cancels those not done when the
   * attempt ends.
   */
  public ResultEnvelope attempt(PreparedModule module, TaskCall call, SubTaskRunner subTasks) {
    return attempts.root(module, call, Objects.requireNonNull(subTasks, "subTasks"), line -> {});
  }

  /**
   * Prepares the interpreter of a script (fetched into the cache directory on first use, progress
   * on stderr) bound to the script.
   *
   * @throws io.capsule.protocol.InternalException when the interpreter cannot be fetched
   */
  public PreparedModule prepare(GuestScript script) {
    return scripts.get(script.language()).prepare(script);
  }

  /**
   * Does the one-time preparation of {@code language}'s interpreter now, into the cache directory,
   * instead of on the first task: fetch it, fuel-instrument and compile it, and make its start-up
   * snapshot (for Python also the stack probe, Asyncify and a smoke test of the snapshot). Each
   * step is printed on stderr with its time. What the cache already holds is read, not made again.
   *
   * @return whether anything had to be made ({@code false}: it was already prepared)
   * @throws InternalException when it cannot be prepared (no cache directory, interpreted mode, no
   *     {@code npm}/{@code node}, a failed snapshot), with the reason
   */
  public boolean prepareInterpreter(GuestScript.Language language) {
    if (config.cacheDir() == null || config.executionMode() != ExecutionMode.COMPILED) {
      throw new InternalException("preparing ahead needs compiled mode and a cache directory");
    }
    return scripts.get(language).prepareAhead();
  }

  /**
   * Whether a task in {@code language} would start here without fetching an interpreter or making
   * the Python snapshot (both already in the cache directory): for callers that warm the sandbox up
   * in the background and must not start minutes of preparation nobody asked for.
   */
  public boolean isReadyFor(GuestScript.Language language) {
    return scripts.get(language).isReady();
  }

  /** {@link #run} on a sandbox thread. */
  public CompletableFuture<ResultEnvelope> runAsync(PreparedModule module, TaskCall call) {
    return CompletableFuture.supplyAsync(() -> run(module, call), guestThreads);
  }

  private static boolean sleep(Duration delay) {
    try {
      Thread.sleep(delay.toMillis());
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static ThreadFactory guestThreadFactory() {
    AtomicInteger count = new AtomicInteger();
    return task -> {
      Thread t =
          new Thread(null, task, "capsule-guest-" + count.incrementAndGet(), GUEST_STACK_BYTES);
      t.setDaemon(true);
      return t;
    };
  }

  /** Stops the sandbox's threads; running tasks are interrupted. A caller's view does nothing. */
  @Override
  public void close() {
    if (ownsThreads) {
      guestThreads.shutdownNow();
      preparations.close();
    }
  }
}
