package io.capsule.bench;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.capsule.sandbox.Metering;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One CPU-bound module run directly on Chicory as a WASI command, metered or not, compiled or
 * interpreted: the unit the metering-overhead and interpreter figures compare. Times are the
 * thread's CPU time, which a busy machine disturbs less than wall time.
 */
final class CpuSubject {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private final WasmModule module;
  private final Function<Instance, Machine> machine;
  private final boolean metered;
  private final List<String> argv;
  private long lastFuel;

  private CpuSubject(WasmModule module, boolean compiled, boolean metered, List<String> argv) {
    this.module = module;
    this.machine = compiled ? MachineFactoryCompiler.compile(module) : null;
    this.metered = metered;
    this.argv = argv;
  }

  /** The module as given, unmetered. */
  static CpuSubject plain(byte[] wasm, boolean compiled, List<String> args) {
    return new CpuSubject(Parser.parse(wasm), compiled, false, argv(args));
  }

  /** The module fuel-instrumented, with an unlimited budget. */
  static CpuSubject metered(byte[] wasm, boolean compiled, List<String> args) {
    return new CpuSubject(Metering.instrument(wasm), compiled, true, argv(args));
  }

  private static List<String> argv(List<String> args) {
    var all = new ArrayList<String>();
    all.add("bench");
    all.addAll(args);
    return all;
  }

  /** Fuel used by the last metered run. */
  long lastFuel() {
    return lastFuel;
  }

  /** Runs {@code _start} once; returns the thread CPU time it took, in nanoseconds. */
  long run() {
    var meter = metered ? Metering.unlimited() : null;
    try (var wasi = wasi()) {
      Instance instance = instantiate(wasi, meter);
      long start = THREADS.getCurrentThreadCpuTime();
      runStart(instance);
      long elapsed = THREADS.getCurrentThreadCpuTime() - start;
      if (meter != null) {
        lastFuel = meter.consumed(instance);
      }
      return elapsed;
    }
  }

  /**
   * Builds a fresh WASI context and instance, then runs {@code _start}; returns the wall time of
   * all of it, in nanoseconds: the per-task cost of bare Chicory.
   */
  long instantiateAndRun() {
    long start = System.nanoTime();
    var meter = metered ? Metering.unlimited() : null;
    try (var wasi = wasi()) {
      runStart(instantiate(wasi, meter));
    }
    return System.nanoTime() - start;
  }

  private WasiPreview1 wasi() {
    var options =
        WasiOptions.builder().withStdout(new ByteArrayOutputStream()).withArguments(argv).build();
    return WasiPreview1.builder().withOptions(options).build();
  }

  private Instance instantiate(WasiPreview1 wasi, Metering meter) {
    var imports = ImportValues.builder().addFunction(wasi.toHostFunctions());
    if (meter != null) {
      imports.addFunction(meter.refillFunction());
    }
    var builder = Instance.builder(module).withImportValues(imports.build()).withStart(false);
    if (machine != null) {
      builder.withMachineFactory(machine);
    }
    return builder.build();
  }

  private static void runStart(Instance instance) {
    try {
      instance.export("_start").apply();
    } catch (WasiExitException e) {
      if (e.exitCode() != 0) {
        throw e;
      }
    }
  }
}
