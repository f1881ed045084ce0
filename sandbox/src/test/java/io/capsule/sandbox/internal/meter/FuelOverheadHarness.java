package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Measures what fuel metering costs in compiled mode: each CPU corpus module runs unmetered and
 * metered (warmed up first, then alternately), and the ratio of median thread CPU times is printed
 * per module, with their geometric mean as {@code fuel_overhead=}. Not a test: run it by hand.
 *
 * <p>Arguments (all optional): strategy ({@code HYBRID}, {@code LOCAL}, {@code GLOBAL}), timed
 * runs, then module names. From the repository root:
 *
 * <pre>
 * ./mvnw -q -B -Dmdep.analyze.skip -pl protocol,sandbox test-compile
 * ./mvnw -q -pl sandbox dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=/tmp/cp
 * java -cp protocol/target/classes:sandbox/target/classes:sandbox/target/test-classes:$(cat /tmp/cp) \
 *     io.capsule.sandbox.internal.meter.FuelOverheadHarness HYBRID 7
 * </pre>
 *
 * <p>Times are thread CPU time, but on a shared machine they still vary by ±10 %, and HotSpot's
 * inlining decisions make some modules bimodal between JVM runs: run it more than once.
 */
public final class FuelOverheadHarness {
  private static final List<String> MODULES = List.of("fib", "loop", "qsort", "matmul", "lz");
  private static final int WARM_UP_RUNS = 5;
  private static final long WARM_UP_NANOS = 3_000_000_000L;
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private FuelOverheadHarness() {}

  /** Runs the measurement and prints the figures. */
  public static void main(String[] args) {
    var strategy = args.length > 0 ? MeteringStrategy.valueOf(args[0]) : MeteringStrategy.HYBRID;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    var modules = args.length > 2 ? Arrays.asList(args).subList(2, args.length) : MODULES;
    double logSum = 0;
    for (String name : modules) {
      double ratio = measure(name, strategy, runs);
      logSum += Math.log(ratio);
    }
    System.out.printf(
        Locale.ROOT,
        "strategy=%s fuel_overhead=%.3f%n",
        strategy,
        Math.exp(logSum / modules.size()));
  }

  private static double measure(String name, MeteringStrategy strategy, int runs) {
    byte[] wasm = Guest.corpus("cpu/" + name + ".wasm");
    var plain = new Subject(Parser.parse(wasm), null);
    var metered = new Subject(FuelInstrumenter.instrument(wasm, strategy).module(), Long.MAX_VALUE);
    long warmUpEnd = System.nanoTime() + WARM_UP_NANOS;
    for (int i = 0; i < WARM_UP_RUNS || System.nanoTime() < warmUpEnd; i++) {
      plain.run();
      metered.run();
    }
    long[] plainTimes = new long[runs];
    long[] meteredTimes = new long[runs];
    for (int i = 0; i < runs; i++) {
      plainTimes[i] = plain.run();
      meteredTimes[i] = metered.run();
    }
    double plainMs = median(plainTimes) / 1e6;
    double meteredMs = median(meteredTimes) / 1e6;
    double ratio = meteredMs / plainMs;
    System.out.printf(
        Locale.ROOT,
        "%-7s unmetered=%8.1f ms  metered=%8.1f ms  ratio=%.3f  fuel=%d%n",
        name,
        plainMs,
        meteredMs,
        ratio,
        metered.lastFuel);
    return ratio;
  }

  private static double median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  /** One module, compiled once, run as a WASI command; metered when it has a budget. */
  private static final class Subject {
    private final WasmModule module;
    private final Function<Instance, Machine> machine;
    private final Long budget;
    long lastFuel;

    Subject(WasmModule module, Long budget) {
      this.module = module;
      this.machine = MachineFactoryCompiler.compile(module);
      this.budget = budget;
    }

    /** Runs {@code _start} once and returns the thread CPU time it took, in nanoseconds. */
    long run() {
      var meter = budget == null ? null : new FuelMeter(budget);
      try (var wasi = wasi()) {
        var imports = ImportValues.builder().addFunction(wasi.toHostFunctions());
        if (meter != null) {
          imports.addFunction(meter.refillFunction());
        }
        var instance =
            Instance.builder(module)
                .withMachineFactory(machine)
                .withImportValues(imports.build())
                .withStart(false)
                .build();
        long start = THREADS.getCurrentThreadCpuTime();
        runStart(instance);
        long elapsed = THREADS.getCurrentThreadCpuTime() - start;
        if (meter != null) {
          lastFuel = meter.consumed(instance);
        }
        return elapsed;
      }
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

    private static WasiPreview1 wasi() {
      var options =
          WasiOptions.builder()
              .withStdout(new ByteArrayOutputStream())
              .withArguments(List.of("bench"))
              .build();
      return WasiPreview1.builder().withOptions(options).build();
    }
  }
}
