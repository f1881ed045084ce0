package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs test modules: WASI commands ({@code _start}) or a no-argument export. */
final class Guest {
  /** The outcome of a run that completed. */
  record Run(long fuel, long[] results, String stdout) {}

  private Guest() {}

  /** Loads a module of the test corpus, e.g. {@code cpu/fib.wasm}. */
  static byte[] corpus(String path) {
    try (InputStream in = Guest.class.getResourceAsStream("/corpus/" + path)) {
      if (in == null) {
        throw new IllegalArgumentException("no corpus module " + path);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs the original module in the interpreter, counting its fuel operator by operator. */
  static Run reference(byte[] wasm, String entry, List<String> args) {
    return reference(wasm, entry, args, null);
  }

  /** {@link #reference(byte[], String, List)} with {@code dir} preopened as {@code /w}. */
  static Run reference(byte[] wasm, String entry, List<String> args, Path dir) {
    var counter = new ReferenceFuel();
    var stdout = new ByteArrayOutputStream();
    try (var wasi = wasi(stdout, args, dir)) {
      var builder =
          Instance.builder(Parser.parse(wasm))
              .withUnsafeExecutionListener(counter)
              .withImportValues(ImportValues.builder().addFunction(wasi.toHostFunctions()).build());
      var holder = new Instance[1];
      long[] results = call(builder, entry, holder, counter);
      return new Run(counter.fuel(), results, stdout.toString(StandardCharsets.UTF_8));
    }
  }

  /** Runs an instrumented module under {@code meter}; the fuel is {@link FuelMeter#consumed}. */
  static Run metered(
      InstrumentedModule metered,
      ExecutionMode mode,
      FuelMeter meter,
      String entry,
      List<String> args) {
    return metered(metered, mode, meter, entry, args, null);
  }

  /** {@link #metered(InstrumentedModule, ExecutionMode, FuelMeter, String, List)} with a dir. */
  static Run metered(
      InstrumentedModule metered,
      ExecutionMode mode,
      FuelMeter meter,
      String entry,
      List<String> args,
      Path dir) {
    var stdout = new ByteArrayOutputStream();
    try (var wasi = wasi(stdout, args, dir)) {
      var imports =
          ImportValues.builder()
              .addFunction(wasi.toHostFunctions())
              .addFunction(meter.refillFunction())
              .build();
      WasmModule module = metered.module();
      var builder = mode.configure(Instance.builder(module), module).withImportValues(imports);
      var holder = new Instance[1];
      long[] results = call(builder, entry, holder);
      return new Run(meter.consumed(holder[0]), results, stdout.toString(StandardCharsets.UTF_8));
    }
  }

  private static long[] call(Instance.Builder builder, String entry, Instance[] holder) {
    return call(builder, entry, holder, null);
  }

  private static long[] call(
      Instance.Builder builder, String entry, Instance[] holder, ReferenceFuel counter) {
    holder[0] = builder.withStart(false).build();
    if (counter != null) {
      counter.attach(holder[0]);
    }
    try {
      return holder[0].export(entry).apply();
    } catch (WasiExitException e) {
      if (e.exitCode() != 0) {
        throw e;
      }
      return new long[0];
    }
  }

  private static WasiPreview1 wasi(ByteArrayOutputStream stdout, List<String> args, Path dir) {
    var argv = new ArrayList<String>();
    argv.add("guest");
    argv.addAll(args);
    var options = WasiOptions.builder().withStdout(stdout).withArguments(argv);
    if (dir != null) {
      options.withDirectory("/w", dir);
    }
    return WasiPreview1.builder().withOptions(options.build()).build();
  }
}
