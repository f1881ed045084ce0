package io.capsule.sandbox;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import io.capsule.protocol.InvalidModuleException;
import io.capsule.protocol.Sha256;
import io.capsule.sandbox.internal.DiskCompileCache;
import io.capsule.sandbox.internal.InstrumentedCache;
import io.capsule.sandbox.internal.InterpreterFallbacks;
import io.capsule.sandbox.internal.LayeredCache;
import io.capsule.sandbox.internal.PreparationBudget;
import io.capsule.sandbox.internal.meter.FuelInstrumenter;
import io.capsule.sandbox.internal.split.FunctionSplitter;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/** Validates, instruments and compiles modules; the one place a module's bytes are trusted. */
final class ModulePreparer {
  /**
   * The Chicory version this was built with (it keys the compile caches: classes compiled by one
   * version are never loaded by another), from the build's {@code build.properties}.
   */
  static final String CHICORY_VERSION = buildProperty("chicory.version");

  /**
   * Functions per generated class. Chicory's default (12,288) overflows a class file's constant
   * pool on large modules; it then halves the size and emits everything again, and each function
   * that falls back to the interpreter restarts the emission at that size: CPython's compile took
   * 124 s with the default and 44 s with this (15 s once nothing falls back).
   */
  private static final int FUNCTIONS_PER_CLASS = 1024;

  private static final Set<String> HOST_MODULES =
      Set.of("wasi_snapshot_preview1", HostImports.MODULE);

  private final ExecutionMode mode;
  private final DiskCompileCache diskCache;
  private final InstrumentedCache instrumentedCache;

  ModulePreparer(SandboxConfig config) {
    this.mode = config.executionMode();
    this.diskCache =
        config.cacheDir() == null ? null : new DiskCompileCache(config.cacheDir(), CHICORY_VERSION);
    this.instrumentedCache =
        config.cacheDir() == null
            ? null
            : InstrumentedCache.under(config.cacheDir(), FuelInstrumenter.class);
  }

  /**
   * Prepares a module, taking compiled classes from {@code precompiled} (keyed by digest) if there.
   * Each stage starts only while {@code budget} has time left; a stage itself is not interrupted
   * (Chicory's parser and compiler do not look), so its worst case is bounded by the module's size.
   *
   * @throws InvalidModuleException when the module is invalid or the budget ran out
   */
  PreparedModule prepare(byte[] wasm, Map<String, byte[]> precompiled, PreparationBudget budget) {
    budget.enter("parsing");
    WasmModule original = parse(wasm, "module");
    budget.enter("validation");
    io.capsule.sandbox.internal.ModuleLimits.check(original, wasm.length);
    checkIsTaskModule(original);
    return instrumentAndCompile(
        wasm, precompiled, budget, false, FunctionSplitter.DEFAULT_PIECE_SIZE);
  }

  /**
   * Prepares one of Capsule's own pinned interpreters (a WASI command or reactor that may import
   * {@code env} functions the interpreter's session provides). Trusted input: no time budget.
   */
  PreparedModule prepareInterpreter(byte[] wasm) {
    return prepareInterpreter(wasm, PreparationBudget.unlimited());
  }

  /** {@link #prepareInterpreter(byte[])}, its stages reported to {@code budget}. */
  PreparedModule prepareInterpreter(byte[] wasm, PreparationBudget budget) {
    return prepareInterpreter(wasm, budget, FunctionSplitter.DEFAULT_PIECE_SIZE);
  }

  /**
   * {@link #prepareInterpreter(byte[], PreparationBudget)} for an interpreter whose too-large
   * functions run fastest split into pieces of {@code pieceSize} bytes (see {@link
   * FunctionSplitter#pieceSize(int)}; the system property still wins).
   */
  PreparedModule prepareInterpreter(byte[] wasm, PreparationBudget budget, int pieceSize) {
    return instrumentAndCompile(wasm, Map.of(), budget, true, pieceSize);
  }

  /**
   * @param trusted whether the module is one of Capsule's own interpreters, which may keep
   *     functions in Chicory's interpreter inside compiled code (see {@link #fallsBack})
   * @param pieceSize the piece size the caller prefers for its functions too large to compile whole
   */
  private PreparedModule instrumentAndCompile(
      byte[] wasm,
      Map<String, byte[]> precompiled,
      PreparationBudget budget,
      boolean trusted,
      int pieceSize) {
    String sha256 = Sha256.hex(wasm);
    budget.enter("fuel instrumentation");
    WasmModule module = instrument(wasm, sha256, FunctionSplitter.pieceSize(pieceSize));
    int initialPages =
        module
            .memorySection()
            .filter(s -> s.memoryCount() > 0)
            .map(s -> s.getMemory(0).limits().initialPages())
            .orElse(0);
    var cache = new LayeredCache(precompiled, diskCache);
    boolean cached = mode == ExecutionMode.COMPILED && cache.contains(module.digest());
    budget.enter("compilation");
    var factory = compile(module, cache);
    budget.check();
    byte[] classes = factory == null ? null : cache.entry(module.digest());
    if (!trusted && fallsBack(factory, classes)) {
      factory = null; // interpreted by the AccountedInterpreter, every frame charged
      classes = null;
    }
    return new PreparedModule(sha256, wasm, module, factory, classes, cached, initialPages);
  }

  /**
   * The fuel-instrumented module with its too-large functions split (see {@link FunctionSplitter}),
   * from the disk cache or rewritten now (and cached, under a key that names the splitter's code
   * and sizes).
   */
  private WasmModule instrument(byte[] wasm, String sha, int pieceSize) {
    String key = FunctionSplitter.cacheKey(sha, pieceSize);
    byte[] cached = instrumentedCache == null ? null : instrumentedCache.get(key);
    if (cached != null) {
      try {
        return Parser.parse(cached);
      } catch (ChicoryException | IllegalArgumentException | IndexOutOfBoundsException e) {
        // a damaged entry: rewrite it below
      }
    }
    var instrumented = FuelInstrumenter.instrument(wasm);
    var split =
        FunctionSplitter.split(
            instrumented.bytes(), instrumented.module(), FunctionSplitter.threshold(), pieceSize);
    if (instrumentedCache != null) {
      instrumentedCache.put(key, split.bytes());
    }
    return split.module();
  }

  /**
   * Whether compiled code would leave a function to Chicory's interpreter: a task module that does
   * runs wholly in the {@code AccountedInterpreter} instead, since Chicory runs such a function in
   * an interpreter created inside the generated code, whose frames no account sees (deep recursion
   * through it could fill the host's heap). Capsule's own interpreters (CPython, QuickJS) are
   * trusted code and stay compiled.
   */
  private static boolean fallsBack(Function<Instance, Machine> factory, byte[] classes) {
    return factory != null && InterpreterFallbacks.present(classes);
  }

  private Function<Instance, Machine> compile(WasmModule module, LayeredCache cache) {
    if (mode == ExecutionMode.INTERPRETED) {
      return null;
    }
    // The splitter leaves no function too large for one JVM method in CPython, QuickJS or the C
    // corpus; one it could not split stays interpreted (fuel and timeouts stop it too). Chicory
    // would print a warning line per such function on stderr on every compile and cache load,
    // which `capsule run --json` users see as noise.
    return MachineFactoryCompiler.builder(module)
        .withCache(cache)
        .withMaxFunctionsPerClass(FUNCTIONS_PER_CLASS)
        .withInterpreterFallback(InterpreterFallback.SILENT)
        .compile();
  }

  private static WasmModule parse(byte[] wasm, String what) {
    if (wasm.length < 8 || wasm[0] != 0 || wasm[1] != 'a' || wasm[2] != 's' || wasm[3] != 'm') {
      throw new InvalidModuleException("not a WebAssembly module (bad magic number)");
    }
    try {
      return Parser.parse(wasm);
    } catch (ChicoryException | IllegalArgumentException | IndexOutOfBoundsException e) {
      throw new InvalidModuleException(what + " is invalid: " + oneLine(e.getMessage()), e);
    }
  }

  private static void checkIsTaskModule(WasmModule module) {
    var exports = module.exportSection();
    boolean hasStart = false;
    for (int i = 0; i < exports.exportCount(); i++) {
      var export = exports.getExport(i);
      hasStart |= export.name().equals("_start") && export.exportType() == ExternalType.FUNCTION;
    }
    if (!hasStart) {
      throw new InvalidModuleException(
          "module exports no _start function: a task must be a WASI command");
    }
    var imports = module.importSection();
    for (int i = 0; i < imports.importCount(); i++) {
      var imp = imports.getImport(i);
      if (!HOST_MODULES.contains(imp.module())) {
        throw new InvalidModuleException(
            "module imports "
                + imp.module()
                + "."
                + imp.name()
                + ", which the sandbox does not provide");
      }
      if (imp.module().equals(HostImports.MODULE) && !(imp instanceof FunctionImport)) {
        throw new InvalidModuleException("capsule." + imp.name() + " must be a function import");
      }
    }
  }

  static String oneLine(String message) {
    if (message == null) {
      return "unknown reason";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  private static String buildProperty(String name) {
    var properties = new java.util.Properties();
    try (var in = ModulePreparer.class.getResourceAsStream("build.properties")) {
      if (in == null) {
        throw new IllegalStateException("build.properties is missing from the sandbox's jar");
      }
      properties.load(in);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    String value = properties.getProperty(name, "");
    if (value.isBlank() || value.startsWith("${")) {
      throw new IllegalStateException(name + " was not filled in by the build: '" + value + "'");
    }
    return value;
  }
}
