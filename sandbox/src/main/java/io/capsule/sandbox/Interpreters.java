package io.capsule.sandbox;

import io.capsule.protocol.Sha256;
import io.capsule.sandbox.internal.lang.InterpreterArtifact;
import io.capsule.sandbox.internal.lang.PreparationSteps;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the script interpreters come from: fetched into the cache directory on first use (progress
 * on stderr), then prepared (fuel-instrumented and compiled) once, kept with the sandbox's other
 * {@link PreparedModules}.
 */
final class Interpreters {
  private final SandboxConfig config;
  private final ModulePreparer preparer;
  private final PreparedModules prepared;
  private final Map<InterpreterArtifact, byte[]> bytes = new ConcurrentHashMap<>();
  private final Map<InterpreterArtifact, PreparedModule> modules = new ConcurrentHashMap<>();

  Interpreters(SandboxConfig config, ModulePreparer preparer, PreparedModules prepared) {
    this.config = config;
    this.preparer = preparer;
    this.prepared = prepared;
  }

  /** The interpreter's module bytes, fetched into the cache directory on first use. */
  byte[] bytes(InterpreterArtifact interpreter) {
    return bytes.computeIfAbsent(interpreter, i -> i.load(cacheDir(), System.err));
  }

  /** The interpreter, prepared. */
  PreparedModule module(InterpreterArtifact interpreter) {
    return modules.computeIfAbsent(interpreter, i -> prepare(bytes(i)));
  }

  /** The interpreter {@code wasm}, prepared (a line on stderr when that took compiling). */
  PreparedModule prepare(byte[] wasm) {
    return prepared.get(Sha256.hex(wasm), () -> prepareNow(wasm));
  }

  private PreparedModule prepareNow(byte[] wasm) {
    long start = System.nanoTime();
    PreparedModule module =
        PreparationSteps.announcedIfSlow(
            System.err,
            "loading the interpreter (fuel-instrumented and compiled once, then read from the"
                + " cache)",
            () -> preparer.prepareInterpreter(wasm));
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
    return module;
  }

  /** Whether the interpreter is in the cache directory already (no fetch needed). */
  boolean isCached(InterpreterArtifact interpreter) {
    return interpreter.isCached(cacheDir());
  }

  /** The cache directory, or a temporary one when the sandbox has none. */
  Path cacheDir() {
    return SandboxConfig.cacheDirOrTemp(config.cacheDir());
  }
}
