package io.capsule.sandbox;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import java.util.function.Function;

/**
 * A validated, fuel-instrumented and (in compiled mode) compiled module, ready for any number of
 * runs. Obtain one from {@link Sandbox#prepare(byte[])}; it is immutable and thread-safe.
 */
public final class PreparedModule {
  private final String sha256;
  private final byte[] wasm;
  private final WasmModule module;
  private final byte[] compiledClasses;
  private final boolean fromCache;
  private final Function<Instance, Machine> machineFactory;
  private final int initialPages;
  private final GuestScript script;
  private final QuickJsSnapshots quickJsSnapshots;
  private final PythonSnapshots.Resume pythonResume;

  PreparedModule(
      String sha256,
      byte[] wasm,
      WasmModule module,
      Function<Instance, Machine> machineFactory,
      byte[] compiledClasses,
      boolean fromCache,
      int initialPages) {
    this(
        sha256,
        wasm,
        module,
        machineFactory,
        compiledClasses,
        fromCache,
        initialPages,
        null,
        new QuickJsSnapshots(),
        null);
  }

  private PreparedModule(
      String sha256,
      byte[] wasm,
      WasmModule module,
      Function<Instance, Machine> machineFactory,
      byte[] compiledClasses,
      boolean fromCache,
      int initialPages,
      GuestScript script,
      QuickJsSnapshots quickJsSnapshots,
      PythonSnapshots.Resume pythonResume) {
    this.script = script;
    this.pythonResume = pythonResume;
    this.quickJsSnapshots = quickJsSnapshots;
    this.fromCache = fromCache;
    this.sha256 = sha256;
    this.wasm = wasm;
    this.module = module;
    this.compiledClasses = compiledClasses;
    this.machineFactory = machineFactory;
    this.initialPages = initialPages;
  }

  /**
   * This interpreter module bound to a script: running it runs the script's tasks. The compiled
   * interpreter is shared.
   */
  public PreparedModule withScript(GuestScript script) {
    return withScript(script, null);
  }

  /** {@link #withScript(GuestScript)}, Python tasks resuming from {@code resume} when they can. */
  PreparedModule withScript(GuestScript script, PythonSnapshots.Resume resume) {
    return new PreparedModule(
        sha256,
        wasm,
        module,
        machineFactory,
        compiledClasses,
        fromCache,
        initialPages,
        script,
        quickJsSnapshots,
        resume);
  }

  /**
   * Whether Python tasks of this module resume from a pre-initialised interpreter snapshot (tasks
   * with {@code allowed_files} too: their directories are served under the snapshot's virtual
   * root).
   */
  public boolean resumable() {
    return pythonResume != null;
  }

  /** The resumable interpreter Python tasks start from, or {@code null} (they start cold). */
  PythonSnapshots.Resume pythonResume() {
    return pythonResume;
  }

  /**
   * The Python or JavaScript task file this interpreter runs, or {@code null} for a task module.
   */
  public GuestScript script() {
    return script;
  }

  /** Hex SHA-256 of the module as given (before instrumentation): its content address. */
  public String sha256() {
    return sha256;
  }

  /** Size in bytes of the module as given. */
  public int size() {
    return wasm.length;
  }

  /**
   * Whether the compiled classes came from a cache or an artifact instead of being compiled now.
   */
  public boolean fromCache() {
    return fromCache;
  }

  /** The module as given. */
  byte[] wasm() {
    return wasm.clone();
  }

  /** The compiled classes (a jar, keyed by {@link #digest()}), or {@code null} when interpreted. */
  byte[] compiledClasses() {
    return compiledClasses;
  }

  /** Chicory's digest of the instrumented module: the compile cache key. */
  String digest() {
    return module.digest();
  }

  /**
   * How many functions of the module its tasks run (for Python, the resumable interpreter when
   * there is one) Chicory's compiler left to its interpreter: 0 when everything is compiled, every
   * function when the module runs interpreted, -1 when the compiled classes cannot tell.
   */
  public int interpretedFunctions() {
    PreparedModule runs = pythonResume != null ? pythonResume.module() : this;
    if (runs.machineFactory == null) {
      return runs.module.functionSection().functionCount();
    }
    return io.capsule.sandbox.internal.InterpreterFallbacks.count(runs.compiledClasses);
  }

  /** Whether runs use compiled code. */
  public boolean compiled() {
    return machineFactory != null;
  }

  WasmModule module() {
    return module;
  }

  Function<Instance, Machine> machineFactory() {
    return machineFactory;
  }

  /** The initialised-interpreter snapshot of this module, shared by the scripts bound to it. */
  QuickJsSnapshots quickJsSnapshots() {
    return quickJsSnapshots;
  }

  int initialPages() {
    return initialPages;
  }
}
