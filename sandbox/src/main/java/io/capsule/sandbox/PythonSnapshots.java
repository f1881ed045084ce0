// Over 400 lines: the snapshot pipeline (asyncify rounds, unwind, signed files) read in order.
package io.capsule.sandbox;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasm.types.ExternalType;
import io.capsule.protocol.InternalException;
import io.capsule.protocol.Sha256;
import io.capsule.sandbox.internal.AtomicFiles;
import io.capsule.sandbox.internal.CacheUse;
import io.capsule.sandbox.internal.PreparationBudget;
import io.capsule.sandbox.internal.lang.CompiledScripts;
import io.capsule.sandbox.internal.lang.InterpreterArtifact;
import io.capsule.sandbox.internal.lang.KnownStacks;
import io.capsule.sandbox.internal.lang.PreparationSteps;
import io.capsule.sandbox.internal.lang.PythonSdk;
import io.capsule.sandbox.internal.lang.ReactorSnapshot;
import io.capsule.sandbox.internal.lang.SnapshotFiles;
import io.capsule.sandbox.internal.meter.FuelInstrumenter;
import io.capsule.sandbox.internal.meter.FuelMeter;
import io.capsule.sandbox.internal.split.FunctionSplitter;
import io.capsule.sandbox.internal.unwind.Asyncify;
import io.capsule.sandbox.internal.unwind.AsyncifyRefusedException;
import io.capsule.sandbox.internal.wasi.BoundedOutput;
import io.capsule.sandbox.internal.wasi.GuardedWasi;
import io.capsule.sandbox.internal.wasi.Mount;
import io.capsule.sandbox.internal.wasi.WasiConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Makes CPython start each task from a snapshot taken where the boot script first reads stdin
 * (after start-up and the preloaded imports, before anything task-specific).
 *
 * <p>CPython is a WASI command: at that point its stack is deep (from {@code _start} through the
 * eval loop to {@code fd_read}), so memory alone cannot resume it. The one-time preparation:
 *
 * <ol>
 *   <li><b>rewrite</b>: Capsule's own Asyncify ({@link Asyncify}, in this JVM: no Node.js, no
 *       Binaryen) limited to the functions expected on the stack at the first stdin read ({@link
 *       KnownStacks}' list for the pinned interpreter and SDK) and to the {@code fd_read} import,
 *       then fuel instrumentation and compilation as for any module;
 *   <li><b>snapshot</b>: run the rewritten interpreter to that read and take the WebAssembly
 *       functions on the stack from the JVM stack (the compiler names each function's method {@code
 *       func_<index>}, interpreted ones included). When they are exactly the ones instrumented,
 *       unwind the stack into a buffer at the end of linear memory and keep memory and mutable
 *       globals (not the fuel global); otherwise rewrite for the stack found and run again (with no
 *       known stack the first round instruments nothing: it is the probe);
 *   <li><b>smoke test</b>: the sandbox resumes one task from it before trusting it.
 * </ol>
 *
 * <p>Per task: a fresh instance of the rewritten module, restore memory and globals, start the
 * rewind and call {@code _start}; the stack rebuilds itself down to the pending {@code fd_read},
 * which the host then answers with the task document (see {@link TaskAttempt}). Each step is cached
 * on disk under the cache directory, keyed by everything it depends on.
 *
 * <p>What a snapshot fixes for all its tasks: the interpreter's argv, its preopen table (a virtual
 * root and the SDK: a task's {@code allowed_files} are served under the root, see {@link
 * #preopens}) and the string hash seed. The environment and the {@code random} state are reset per
 * task by the boot script.
 */
final class PythonSnapshots {
  /** Bumped whenever the preparation changes in a way the cache key does not capture. */
  private static final String FORMAT = "4"; // 4: Capsule's own Asyncify (internal/unwind)

  /**
   * The preopen table every snapshot run and resumed task has (wasi-libc reads it once, at
   * start-up): the virtual root at fd 3, the SDK at fd 4. Part of the cache keys.
   */
  private static final String PREOPENS = "/ (virtual root), " + PythonSdk.GUEST_PATH;

  /** Where the steps of loading what an earlier run prepared go: nowhere. */
  private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

  private static final int DATA_PAGES = 8;
  private static final long PAGE = 65_536;
  private static final Pattern COMPILED_FUNCTION = Pattern.compile("func_(\\d+)");

  /**
   * A resumable interpreter: the rewritten module (which also runs cold, from {@code _start}, when
   * no unwind is asked for), its snapshot, the unwind buffer, whether the snapshot was made in this
   * process (then it is smoke-tested before use), and the task files it has compiled.
   */
  record Resume(
      PreparedModule module,
      ReactorSnapshot snapshot,
      int dataAddress,
      boolean fresh,
      CompiledScripts compiled) {}

  /** Task files whose compiled code a resumed interpreter keeps, and their total size. */
  private static final int COMPILED_FILES = 512;

  private static final long COMPILED_CHARS = 64L << 20;

  /**
   * The piece size CPython's too-large functions are split into (see {@link
   * FunctionSplitter#pieceSize(int)}): its eval loop runs fastest in pieces HotSpot's C2 compiles,
   * where QuickJS's dispatch runs fastest in the default's larger pieces. Measured in {@code
   * docs/function-splitting.md}.
   */
  static final int PIECE_SIZE = 8_000;

  private final ModulePreparer preparer;
  private final ExecutorService guestThreads;
  private final Path cacheDir;
  private final PrintStream progress;
  private final Function<String, Set<Integer>> knownStacks;
  private Resume resume;
  private String failure;

  PythonSnapshots(
      ModulePreparer preparer, ExecutorService guestThreads, Path cacheDir, PrintStream progress) {
    this(preparer, guestThreads, cacheDir, progress, KnownStacks::of);
  }

  /** With {@code knownStacks} instead of {@link KnownStacks} (tests: a wrong or missing guess). */
  PythonSnapshots(
      ModulePreparer preparer,
      ExecutorService guestThreads,
      Path cacheDir,
      PrintStream progress,
      Function<String, Set<Integer>> knownStacks) {
    this.preparer = preparer;
    this.guestThreads = guestThreads;
    this.cacheDir = cacheDir;
    this.progress = progress;
    this.knownStacks = knownStacks;
  }

  /**
   * The resumable form of {@code interpreter}, or {@code null} when it cannot be made here (the
   * reason is printed once, and kept as {@link #failure()}; tasks then start cold).
   */
  synchronized Resume resume(byte[] interpreter) {
    if (resume != null || failure != null) {
      return resume;
    }
    try {
      resume = make(interpreter);
    } catch (RuntimeException e) {
      failure = e.getMessage();
      progress.println("capsule: warning: no Python snapshot (" + failure + "); tasks start cold");
    }
    return resume;
  }

  /** Why there is no snapshot in this process, or {@code null} when nothing failed. */
  synchronized String failure() {
    return failure;
  }

  /** Whether the resumable interpreter was already made (on disk) from {@code interpreter}. */
  boolean isMade(byte[] interpreter) {
    return resume != null || Files.isRegularFile(rewrittenFile(interpreter));
  }

  /** Forgets a snapshot that failed its smoke test, on disk too. */
  synchronized void reject(Resume bad, String why) {
    failure = "the snapshot failed its check: " + why;
    resume = null;
    try {
      Files.deleteIfExists(snapshotFile(bad.module()));
    } catch (IOException e) {
      // left for the next key change
    }
    progress.println("capsule: warning: the Python snapshot failed its check (" + why + ")");
  }

  /**
   * Makes (or reads from the cache) the rewritten interpreter and its snapshot. Each one-time step
   * is printed with its wall time; loading what earlier runs made prints nothing.
   */
  private Resume make(byte[] interpreter) {
    long start = System.nanoTime();
    Path rewritten = rewrittenFile(interpreter);
    PreparedModule module;
    ReactorSnapshot snapshot;
    boolean fresh;
    if (!Files.isRegularFile(rewritten)) {
      progress.println(
          "capsule: preparing the Python snapshot (one time; cached in " + cacheDir + ")…");
      Captured made = rewrite(interpreter, rewritten, new PreparationSteps(progress));
      module = made.module();
      snapshot = made.snapshot();
      fresh = true;
    } else {
      module =
          new PreparationSteps(QUIET)
              .runStages("resumable CPython", stages -> readRewritten(rewritten, stages));
      snapshot = new SnapshotFiles(cacheDir).read(snapshotFile(module).getFileName().toString());
      fresh = snapshot == null;
      if (fresh) {
        PreparedModule resumable = module;
        snapshot =
            new PreparationSteps(progress)
                .run(
                    "snapshot: CPython to its snapshot point, unwound and copied",
                    () -> onGuestThread(() -> capture(resumable, null).snapshot()));
      }
    }
    if (fresh) {
      Path file = snapshotFile(module);
      new SnapshotFiles(cacheDir).write(file.getFileName().toString(), snapshot);
      progress.println(
          "capsule: Python snapshot saved ("
              + snapshot.memoryBytes() / (1 << 20)
              + " MiB of memory) in "
              + file
              + "; preparation took "
              + PreparationSteps.seconds(Duration.ofNanos(System.nanoTime() - start)));
    }
    return new Resume(
        module,
        snapshot,
        dataAddress(snapshot),
        fresh,
        new CompiledScripts(COMPILED_FILES, COMPILED_CHARS));
  }

  /** The rewritten interpreter, prepared, and the snapshot its run to the snapshot point made. */
  private record Captured(PreparedModule module, ReactorSnapshot snapshot, Set<Integer> stack) {}

  /** Rounds of Asyncify and a run to the snapshot point before the stack must have settled. */
  private static final int MAX_ROUNDS = 3;

  /**
   * Asyncify (Capsule's own pass, in this JVM) for the functions expected on the stack at the
   * snapshot point, then a run of the result to that point, which reads the stack there from the
   * JVM's (the compiler names each function's method {@code func_<index>}): when it holds exactly
   * the functions instrumented, the run unwinds and its memory is the snapshot; otherwise the next
   * round instruments the stack it found. The first guess is {@link KnownStacks}' stack for this
   * interpreter and SDK, so a pinned interpreter takes one round; without one, the first round
   * instruments nothing and serves as the probe.
   */
  private Captured rewrite(byte[] interpreter, Path out, PreparationSteps steps) {
    String key = stackKey();
    Set<Integer> known = knownStacks.apply(key);
    Set<Integer> guess = known == null ? Set.of() : known;
    for (int round = 1; round <= MAX_ROUNDS; round++) {
      Set<Integer> instrumented = guess;
      byte[] resumable =
          steps.run(
              "asyncify (capsule) for the "
                  + instrumented.size()
                  + " functions expected on the stack",
              () -> asyncify(interpreter, instrumented));
      PreparedModule module =
          steps.runStages(
              "resumable CPython",
              stages ->
                  preparer.prepareInterpreter(
                      resumable, PreparationBudget.unlimited(stages), PIECE_SIZE));
      Captured run =
          steps.run(
              "snapshot: CPython to its snapshot point",
              () -> onGuestThread(() -> capture(module, instrumented)));
      if (run.snapshot() != null) {
        write(resumable, out);
        return run;
      }
      progress.println(
          "capsule:   the stack there was not the one instrumented; next round: "
              + KnownStacks.line(key, run.stack()));
      guess = run.stack();
    }
    throw new InternalException(
        "the stack at the snapshot point differed in " + MAX_ROUNDS + " runs in a row");
  }

  /**
   * What decides the stack at the snapshot point: interpreter, SDK, argv, environment, preopens.
   */
  String stackKey() {
    String identity =
        String.join(
            "\0",
            InterpreterArtifact.CPYTHON.npmSpec(),
            PythonSdk.directory(cacheDir).getFileName().toString(),
            String.join(" ", PythonSdk.ARGV),
            "CAPSULE_SNAPSHOT=1",
            PREOPENS);
    return Sha256.hex(identity.getBytes(StandardCharsets.UTF_8)).substring(0, 24);
  }

  private PreparedModule readRewritten(Path rewritten, Consumer<String> stages) {
    try {
      PreparedModule module =
          preparer.prepareInterpreter(
              Files.readAllBytes(rewritten), PreparationBudget.unlimited(stages), PIECE_SIZE);
      CacheUse.markUsed(rewritten);
      return module;
    } catch (IOException e) {
      throw new InternalException("cannot read " + rewritten + ": " + e, e);
    }
  }

  /** The unwind buffer lies in the pages the snapshot run added at the end of memory. */
  private static int dataAddress(ReactorSnapshot snapshot) {
    return (int) (snapshot.memoryBytes() - DATA_PAGES * PAGE);
  }

  /**
   * The module's own functions on this thread's stack (split-off pieces and the fuel refill import
   * left out), read from the JVM's stack inside a host call.
   */
  private static Set<Integer> stackAt(PreparedModule module) {
    int imports = module.module().importSection().count(ExternalType.FUNCTION);
    Set<Integer> stack = new TreeSet<>();
    for (StackTraceElement frame : Thread.currentThread().getStackTrace()) {
      Matcher m = COMPILED_FUNCTION.matcher(frame.getMethodName());
      if (frame.getClassName().startsWith("com.dylibso.chicory.$gen") && m.matches()) {
        int index = Integer.parseInt(m.group(1));
        if (index >= imports && !FunctionSplitter.isAdded(module.module(), index)) {
          stack.add(index - imports); // the refill import sits after the module's own
        }
      }
    }
    return stack;
  }

  /**
   * Runs {@code module} to its first read of stdin; there, when {@code expected} is {@code null} or
   * the stack holds exactly those functions, unwinds and returns the snapshot, else returns the
   * stack it found (and no snapshot).
   */
  private Captured capture(PreparedModule module, Set<Integer> expected) {
    Instance[] held = new Instance[1];
    int[] data = new int[1];
    Set<Integer> found = new TreeSet<>();
    try {
      runToFirstRead(
          module,
          (instance, args) -> {
            if (expected != null) {
              found.addAll(stackAt(module));
              if (!found.equals(expected)) {
                throw new ProbeDone();
              }
            }
            held[0] = instance;
            Memory memory = instance.memory();
            int start = memory.grow(DATA_PAGES);
            if (start < 0) {
              throw new InternalException("cannot grow memory for the unwind buffer");
            }
            data[0] = (int) (start * PAGE);
            memory.writeI32(data[0], data[0] + 8);
            memory.writeI32(data[0] + 4, (int) ((start + DATA_PAGES) * PAGE));
            instance.export("asyncify_start_unwind").apply(data[0]);
            return new long[] {0};
          });
    } catch (RuntimeException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof ProbeDone) {
          return new Captured(module, null, found);
        }
      }
      throw e;
    }
    Instance instance = held[0];
    if (instance == null) {
      throw new InternalException("the interpreter never read stdin");
    }
    instance.export("asyncify_stop_unwind").apply();
    return new Captured(
        module, ReactorSnapshot.capture(instance, Set.of(FuelInstrumenter.FUEL_GLOBAL)), found);
  }

  /**
   * Runs the interpreter with the boot script until {@code _start} returns (unwound) or the hook
   * throws; the hook answers the first read of stdin.
   */
  private void runToFirstRead(PreparedModule module, WasmFunctionHandle firstRead) {
    var stderr = BoundedOutput.tail(64 << 10);
    WasiConfig.Builder wasiConfig =
        WasiConfig.builder()
            .withArguments(PythonSdk.ARGV)
            // the boot script preloads modules only in the snapshot (and probe) run
            .withEnvironment(java.util.Map.of("CAPSULE_SNAPSHOT", "1"))
            .withStdout(OutputStream.nullOutputStream())
            .withStderr(stderr);
    WasiConfig config = preopens(wasiConfig, cacheDir, List.of()).build();
    try (var wasi = GuardedWasi.create(config)) {
      HostFunction[] functions = wasi.toHostFunctions();
      for (int i = 0; i < functions.length; i++) {
        HostFunction f = functions[i];
        if (f.name().equals("fd_read")) {
          functions[i] =
              new HostFunction(
                  f.module(),
                  f.name(),
                  f.functionType(),
                  (instance, args) ->
                      args[0] == 0
                          ? firstRead.apply(instance, args)
                          : f.handle().apply(instance, args));
        }
      }
      var meter = new FuelMeter(Long.MAX_VALUE);
      meter.deferCharging();
      var imports =
          ImportValues.builder().addFunction(functions).addFunction(meter.refillFunction()).build();
      var builder = Instance.builder(module.module()).withImportValues(imports).withStart(false);
      if (module.machineFactory() != null) {
        builder.withMachineFactory(module.machineFactory());
      }
      builder.build().export("_start").apply();
    } catch (WasiExitException e) {
      throw new InternalException(
          "the interpreter exited ("
              + e.exitCode()
              + ") before its snapshot point: "
              + stderr.text().strip());
    }
  }

  /** The mount every Python run has: the SDK, read-only. */
  static Mount sdkMount(Path cacheDir) {
    return Mount.readOnly(PythonSdk.directory(cacheDir), PythonSdk.GUEST_PATH);
  }

  /**
   * The preopens of a snapshot run and of every task resumed from it ({@value #PREOPENS}): the same
   * table in both, as wasi-libc keeps the one it read at start-up. The task's own {@code mounts}
   * are served under the virtual root, so the guest reaches them at their usual paths.
   */
  static WasiConfig.Builder preopens(
      WasiConfig.Builder builder, Path cacheDir, List<Mount> mounts) {
    return builder.withVirtualRoot(mounts).withMount(sdkMount(cacheDir));
  }

  private static byte[] asyncify(byte[] interpreter, Set<Integer> stack) {
    try {
      return Asyncify.instrument(interpreter, stack, GuardedWasi.MODULE, "fd_read");
    } catch (AsyncifyRefusedException e) {
      throw new InternalException("asyncify: " + e.getMessage(), e);
    }
  }

  private static void write(byte[] resumable, Path out) {
    try {
      Files.createDirectories(out.getParent());
      Path tmp = Files.createTempFile(out.getParent(), "cpython-resume", ".part");
      try {
        Files.write(tmp, resumable);
        AtomicFiles.move(tmp, out);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new InternalException("cannot write the rewritten interpreter: " + e, e);
    }
  }

  private Path rewrittenFile(byte[] interpreter) {
    String identity =
        String.join(
            "\0",
            Sha256.hex(interpreter),
            PythonSdk.directory(cacheDir).getFileName().toString(),
            String.join(" ", PythonSdk.ARGV),
            "CAPSULE_SNAPSHOT=1",
            PREOPENS,
            "capsule-asyncify",
            ModulePreparer.CHICORY_VERSION,
            FORMAT);
    String key = Sha256.hex(identity.getBytes(StandardCharsets.UTF_8));
    return cacheDir
        .resolve("interpreters")
        .resolve("cpython-resumable-" + key.substring(0, 24) + ".wasm");
  }

  private Path snapshotFile(PreparedModule module) {
    String identity =
        String.join(
            "\0",
            module.digest(),
            PythonSdk.directory(cacheDir).getFileName().toString(),
            PREOPENS,
            ModulePreparer.CHICORY_VERSION,
            FORMAT);
    String key = Sha256.hex(identity.getBytes(StandardCharsets.UTF_8));
    return cacheDir.resolve("snapshots").resolve("cpython-" + key.substring(0, 24) + ".snap");
  }

  private <T> T onGuestThread(java.util.concurrent.Callable<T> work) {
    try {
      return guestThreads.submit(work).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InternalException("interrupted while preparing the Python snapshot", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw cause instanceof RuntimeException r
          ? r
          : new InternalException("Python snapshot preparation failed: " + cause, cause);
    }
  }

  /** Ends a run whose stack at the first read of stdin is not the one instrumented. */
  private static final class ProbeDone extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ProbeDone() {
      super(null, null, false, false);
    }
  }
}
