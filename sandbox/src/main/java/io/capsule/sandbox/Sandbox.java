package io.capsule.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.BoundedMap;
import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.Execution;
import io.capsule.protocol.InternalException;
import io.capsule.protocol.InvalidRequestException;
import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.RetryBackoff;
import io.capsule.protocol.Sha256;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.internal.PreparationBudget;
import io.capsule.sandbox.internal.PreparationPool;
import io.capsule.sandbox.internal.lang.GuestRequests;
import io.capsule.sandbox.internal.lang.InterpreterArtifact;
import io.capsule.sandbox.internal.lang.PreparationSteps;
import io.capsule.sandbox.internal.net.HttpTransport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
  private static final int PREPARED_CACHE_SIZE = 64;
  private static final long GUEST_STACK_BYTES = 8L << 20;

  private final SandboxConfig config;
  private final ModulePreparer preparer;
  private final RetryBackoff backoff;
  private final ExecutorService guestThreads;
  private final HttpTransport http;
  private final Map<InterpreterArtifact, PreparedModule> interpreters;
  private final Map<InterpreterArtifact, byte[]> interpreterBytes;
  private final PythonSnapshots pythonSnapshots;
  private final java.util.concurrent.atomic.AtomicBoolean smokeTested;
  private final boolean ownsThreads;
  private final Map<String, PreparedModule> prepared;
  private final PreparationPool preparations;

  private Sandbox(SandboxConfig config) {
    this.config = config;
    this.preparer = new ModulePreparer(config);
    this.backoff = new RetryBackoff(config.retryBackoff(), config.maxRetryBackoff());
    this.guestThreads = Executors.newCachedThreadPool(guestThreadFactory());
    this.http = HttpTransport.create(config.http());
    this.pythonSnapshots =
        config.executionMode() == ExecutionMode.COMPILED && config.cacheDir() != null
            ? new PythonSnapshots(preparer, guestThreads, config.cacheDir(), System.err)
            : null;
    this.interpreters = new java.util.concurrent.ConcurrentHashMap<>();
    this.interpreterBytes = new java.util.concurrent.ConcurrentHashMap<>();
    this.smokeTested = new java.util.concurrent.atomic.AtomicBoolean();
    this.ownsThreads = true;
    this.prepared = BoundedMap.leastRecentlyUsed(PREPARED_CACHE_SIZE);
    this.preparations = PreparationPool.of(config.maxConcurrentPreparations());
  }

  /** A view of {@code shared} with another configuration (see {@link #forCaller}). */
  private Sandbox(SandboxConfig config, Sandbox shared) {
    this.config = config;
    this.preparer = shared.preparer;
    this.backoff = shared.backoff;
    this.guestThreads = shared.guestThreads;
    this.http = shared.http;
    this.pythonSnapshots = shared.pythonSnapshots;
    this.interpreters = shared.interpreters;
    this.interpreterBytes = shared.interpreterBytes;
    this.smokeTested = shared.smokeTested;
    this.ownsThreads = false;
    this.prepared = shared.prepared;
    this.preparations = shared.preparations;
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
    String key = Sha256.hex(wasm);
    PreparedModule module = prepared.get(key);
    if (module == null) {
      module = within(options, budget -> preparer.prepare(wasm, Map.of(), budget));
      prepared.put(key, module);
    }
    return module;
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
      return bind(file.wasm(), file.script());
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
   * The interpreter {@code wasm} bound to {@code script}: a Python script resumes from the
   * interpreter's snapshot when there is one (made on first use), else starts cold.
   */
  private PreparedModule bind(byte[] wasm, GuestScript script) {
    if (script.language() == GuestScript.Language.PYTHON) {
      PythonSnapshots.Resume resume = pythonResume(wasm);
      if (resume != null) {
        return resume.module().withScript(script, resume);
      }
    }
    return prepareInterpreter(wasm).withScript(script);
  }

  /**
   * The snapshot Python tasks resume from: compiled sandboxes with a cache directory only; made and
   * checked on first use (see {@link PythonSnapshots}), or {@code null} when that failed.
   */
  private PythonSnapshots.Resume pythonResume(byte[] wasm) {
    if (pythonSnapshots == null) {
      return null;
    }
    PythonSnapshots.Resume resume = pythonSnapshots.resume(wasm);
    if (resume != null && resume.fresh() && !smokeTested.get()) {
      synchronized (smokeTested) {
        if (!smokeTested.get()) {
          String why =
              new PreparationSteps(System.err)
                  .run("smoke test: one task resumed from the snapshot", () -> smokeTest(resume));
          smokeTested.set(true);
          if (why != null) {
            pythonSnapshots.reject(resume, why);
            return null;
          }
        }
      }
    }
    return pythonSnapshots.resume(wasm);
  }

  /** Runs one task resumed from a snapshot made in this process; why it failed, or null. */
  private String smokeTest(PythonSnapshots.Resume resume) {
    String source =
        "from capsule import task\n\n@task(name=\"main\")\ndef main(a, b):\n"
            + "    return {\"sum\": a + b}\n";
    GuestScript script = GuestScript.of("capsule_smoke.py", source);
    ResultEnvelope envelope =
        attempt(
            resume.module().withScript(script, resume),
            new TaskCall(
                script.optionsOf("main"),
                List.of(
                    com.fasterxml.jackson.databind.node.IntNode.valueOf(40),
                    com.fasterxml.jackson.databind.node.IntNode.valueOf(2))));
    if (envelope.success() && envelope.result().path("sum").asInt() == 42) {
      return null;
    }
    return envelope.success() ? "wrong result " + envelope.result() : envelope.error().message();
  }

  private PreparedModule prepareInterpreter(byte[] wasm) {
    String key = Sha256.hex(wasm);
    PreparedModule module = prepared.get(key);
    if (module == null) {
      long start = System.nanoTime();
      module =
          PreparationSteps.announcedIfSlow(
              System.err,
              "loading the interpreter (fuel-instrumented and compiled once, then read from the"
                  + " cache)",
              () -> preparer.prepareInterpreter(wasm));
      prepared.put(key, module);
      if (!module.fromCache()
          && config.cacheDir() != null
          && config.executionMode() == ExecutionMode.COMPILED) {
        System.err.println(
            "capsule: interpreter fuel-instrumented and compiled in "
                + PreparationSteps.seconds(Duration.ofNanos(System.nanoTime() - start))
                + " (one time; cached in "
                + config.cacheDir()
                + ")");
      }
    }
    return module;
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
    PreparedModule module =
        within(options, budget -> preparer.prepare(artifact.wasm(), precompiled, budget));
    prepared.putIfAbsent(module.sha256(), module);
    return module;
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

  /** {@link #run(PreparedModule, TaskCall)}, telling {@code listener} about each attempt. */
  public ResultEnvelope run(PreparedModule module, TaskCall call, AttemptListener listener) {
    return runAttempts(call, listener, bounded -> attempt(module, bounded));
  }

  /** The retry loop around {@code attempt}, over the call bounded by the ceiling. */
  private ResultEnvelope runAttempts(
      TaskCall call, AttemptListener listener, Function<TaskCall, ResultEnvelope> attempt) {
    long start = System.nanoTime();
    TaskCall bounded;
    try {
      bounded = bound(call);
    } catch (CapsuleException e) {
      ResultEnvelope refused = refused(call, e);
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
   * The options a task runs with: its declared options narrowed by the operator's ceiling (the one
   * rule of {@link OperatorCeiling#narrow(TaskOptions, Path)}); a task naming no ram gets the
   * smaller of this sandbox's default and the ceiling's {@code max_ram}.
   *
   * @throws CapsuleException when an option is above the ceiling and the ceiling rejects
   */
  private TaskCall bound(TaskCall call) {
    OperatorCeiling ceiling = config.ceiling();
    if (ceiling.isUnlimited()) {
      return call;
    }
    TaskOptions narrowed = ceiling.narrow(call.options(), config.filesRoot());
    if (narrowed.ram() == null
        && ceiling.maxRam() != null
        && ceiling.maxRam().bytes() < config.defaultRam().bytes()) {
      narrowed = narrowed.toBuilder().ram(ceiling.maxRam()).build();
    }
    return new TaskCall(narrowed, call.args());
  }

  private static ResultEnvelope refused(TaskCall call, CapsuleException e) {
    return ResultEnvelope.failure(
        e.toTaskError(), new Execution(call.taskName(), 0, 0, 0, 0, List.of()));
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
    return rootAttempt(module, call, null);
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
    return rootAttempt(module, call, Objects.requireNonNull(subTasks, "subTasks"));
  }

  private ResultEnvelope rootAttempt(PreparedModule module, TaskCall call, SubTaskRunner external) {
    TaskCall bounded;
    try {
      bounded = bound(call);
    } catch (CapsuleException e) {
      return refused(call, e);
    }
    var tree =
        new SubTaskTree(
            config.maxSubTasks(),
            config.maxSubTaskDepth(),
            bounded.options().computeOrDefault().fuel());
    return attemptIn(tree, external == null ? 0 : external.depth(), module, bounded, external);
  }

  /**
   * One attempt at {@code depth} of {@code tree}. Sub-tasks run here are cancelled when it ends; a
   * caller's runner cancels its own (the worker's closes with the attempt, publishing the cancels).
   */
  private ResultEnvelope attemptIn(
      SubTaskTree tree,
      int depth,
      PreparedModule module,
      TaskCall bounded,
      SubTaskRunner external) {
    List<CompletableFuture<ResultEnvelope>> children = new CopyOnWriteArrayList<>();
    SubTaskRunner runner = external != null ? external : localSubTasks(module, tree, depth + 1);
    try {
      return new TaskAttempt(
              config,
              module,
              bounded,
              guestThreads,
              http,
              adapt(module, runner, tree, depth + 1, children),
              tree)
          .run();
    } finally {
      if (external == null) {
        children.forEach(child -> child.cancel(true));
      }
    }
  }

  /**
   * Sub-tasks run here, each in its own sandbox on this sandbox's threads, concurrently; cancelling
   * one's future interrupts its thread, which stops its attempt (and cancels its own sub-tasks).
   */
  private SubTaskRunner localSubTasks(PreparedModule module, SubTaskTree tree, int depth) {
    return call -> {
      CompletableFuture<ResultEnvelope> result = new CompletableFuture<>();
      Future<?> thread =
          guestThreads.submit(
              () -> {
                try {
                  result.complete(runSubTask(module, call, tree, depth));
                } catch (RuntimeException | Error e) {
                  result.completeExceptionally(e);
                }
              });
      result.whenComplete(
          (envelope, failure) -> {
            if (result.isCancelled()) {
              thread.cancel(true);
            }
          });
      return result;
    };
  }

  /** A sub-task to its final outcome, its attempts in the tree (and drawing on its fuel). */
  private ResultEnvelope runSubTask(
      PreparedModule module, TaskCall call, SubTaskTree tree, int depth) {
    return runAttempts(
        call, AttemptListener.NONE, bounded -> attemptIn(tree, depth, module, bounded, null));
  }

  /**
   * The guest names a task; the child runs with that task's declared options bounded by the
   * ceiling, counted against the tree's caps.
   */
  private GuestRequests.SubTasks adapt(
      PreparedModule module,
      SubTaskRunner runner,
      SubTaskTree tree,
      int depth,
      List<CompletableFuture<ResultEnvelope>> children) {
    GuestScript script = module.script();
    return new GuestRequests.SubTasks() {
      @Override
      public CompletableFuture<ResultEnvelope> start(String name, List<JsonNode> args) {
        if (script == null) {
          throw new InvalidRequestException("sub-tasks need a script task");
        }
        tree.admit(depth);
        TaskCall declared = new TaskCall(script.optionsOf(name), args);
        CompletableFuture<ResultEnvelope> child;
        try {
          child = runner.start(bound(declared));
        } catch (CapsuleException e) {
          child = CompletableFuture.completedFuture(refused(declared, e));
        }
        children.add(child);
        return child;
      }

      @Override
      public Runnable parentWaiting() {
        return runner.parentWaiting();
      }
    };
  }

  /**
   * Prepares the interpreter of a script (fetched into the cache directory on first use, progress
   * on stderr) bound to the script.
   *
   * @throws io.capsule.protocol.InternalException when the interpreter cannot be fetched
   */
  public PreparedModule prepare(GuestScript script) {
    var interpreter =
        script.language() == GuestScript.Language.PYTHON
            ? InterpreterArtifact.CPYTHON
            : InterpreterArtifact.QUICKJS;
    if (interpreter == InterpreterArtifact.CPYTHON && pythonSnapshots != null) {
      return bind(interpreterBytes.computeIfAbsent(interpreter, this::load), script);
    }
    return interpreters.computeIfAbsent(interpreter, this::prepareInterpreter).withScript(script);
  }

  private PreparedModule prepareInterpreter(InterpreterArtifact interpreter) {
    return prepareInterpreter(load(interpreter));
  }

  private byte[] load(InterpreterArtifact interpreter) {
    return interpreter.load(cacheDir(), System.err);
  }

  private Path cacheDir() {
    return config.cacheDir() != null
        ? config.cacheDir()
        : Path.of(System.getProperty("java.io.tmpdir"), "capsule");
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
    if (language == GuestScript.Language.PYTHON) {
      return preparePython();
    }
    boolean fetched = !InterpreterArtifact.QUICKJS.isCached(cacheDir());
    PreparedModule module =
        interpreters.computeIfAbsent(InterpreterArtifact.QUICKJS, this::prepareInterpreter);
    boolean snapshotMade =
        onGuestThread(() -> module.quickJsSnapshots().prepare(module, config.cacheDir()));
    return fetched || !module.fromCache() || snapshotMade;
  }

  private boolean preparePython() {
    boolean fetched = !InterpreterArtifact.CPYTHON.isCached(cacheDir());
    byte[] wasm = interpreterBytes.computeIfAbsent(InterpreterArtifact.CPYTHON, this::load);
    PythonSnapshots.Resume resume = pythonResume(wasm);
    if (resume == null) {
      throw new InternalException("no Python snapshot: " + pythonSnapshots.failure());
    }
    return fetched || resume.fresh() || !resume.module().fromCache();
  }

  private <T> T onGuestThread(java.util.concurrent.Callable<T> work) {
    try {
      return guestThreads.submit(work).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InternalException("interrupted while preparing an interpreter", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r
          ? r
          : new InternalException("preparing an interpreter failed: " + e.getCause(), e);
    }
  }

  /**
   * Whether a task in {@code language} would start here without fetching an interpreter or making
   * the Python snapshot (both already in the cache directory): for callers that warm the sandbox up
   * in the background and must not start minutes of preparation nobody asked for.
   */
  public boolean isReadyFor(GuestScript.Language language) {
    Path cache = cacheDir();
    if (language == GuestScript.Language.JAVASCRIPT) {
      return InterpreterArtifact.QUICKJS.isCached(cache);
    }
    return InterpreterArtifact.CPYTHON.isCached(cache)
        && (pythonSnapshots == null
            || pythonSnapshots.isMade(
                interpreterBytes.computeIfAbsent(InterpreterArtifact.CPYTHON, this::load)));
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
