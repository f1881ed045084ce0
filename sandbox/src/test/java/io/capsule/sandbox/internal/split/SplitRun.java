package io.capsule.sandbox.internal.split;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.WasmModule;
import io.capsule.sandbox.internal.meter.ExecutionMode;
import io.capsule.sandbox.internal.meter.FuelMeter;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One run of a fuel-instrumented module (split or not) under a meter: what it returned or how it
 * trapped, what it printed, and the fuel it used.
 *
 * @param fuel the fuel consumed
 * @param results the export's results ({@code null} after a trap)
 * @param stdout what it wrote to standard output
 * @param trap the trap's class and message, or null
 */
record SplitRun(long fuel, long[] results, String stdout, String trap) {
  private static final long BUDGET = Long.MAX_VALUE / 4;

  /** A small chunk, so that runs refill often. */
  private static final long CHUNK = 997;

  static SplitRun of(
      WasmModule module, ExecutionMode mode, String entry, List<String> args, long... params) {
    var meter = new FuelMeter(BUDGET, CHUNK);
    var stdout = new ByteArrayOutputStream();
    var argv = new ArrayList<String>(List.of("guest"));
    argv.addAll(args);
    var options = WasiOptions.builder().withStdout(stdout).withArguments(argv).build();
    try (var wasi = WasiPreview1.builder().withOptions(options).build()) {
      var imports =
          ImportValues.builder()
              .addFunction(wasi.toHostFunctions())
              .addFunction(meter.refillFunction())
              .build();
      var instance =
          mode.configure(Instance.builder(module), module)
              .withImportValues(imports)
              .withStart(false)
              .build();
      long[] results = null;
      String trap = null;
      try {
        results = instance.export(entry).apply(params);
      } catch (WasiExitException e) {
        results = new long[] {e.exitCode()};
      } catch (RuntimeException e) {
        trap = e.getClass().getName() + ": " + e.getMessage();
      }
      String out = stdout.toString(StandardCharsets.UTF_8);
      return new SplitRun(meter.consumed(instance), results, out, trap);
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof SplitRun run
        && fuel == run.fuel
        && Arrays.equals(results, run.results)
        && stdout.equals(run.stdout)
        && java.util.Objects.equals(trap, run.trap);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(fuel) * 31 + Arrays.hashCode(results);
  }

  @Override
  public String toString() {
    return "fuel=" + fuel + " results=" + Arrays.toString(results) + " trap=" + trap;
  }
}
