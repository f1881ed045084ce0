package io.capsule.sandbox.internal.wasi;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Runs {@code corpus/wasi/fileprobe.wasm} (see its source) under a {@link GuardedWasi}. */
final class FileProbe {
  private static final WasmModule MODULE = load("/corpus/wasi/fileprobe.wasm");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The execution mode: Chicory's interpreter, or its runtime compiler (compiled once). */
  enum Mode {
    INTERPRETED,
    COMPILED;

    private static volatile Function<Instance, Machine> compiled;

    Function<Instance, Machine> machineFactory() {
      if (this == INTERPRETED) {
        return null;
      }
      if (compiled == null) {
        compiled = MachineFactoryCompiler.compile(MODULE);
      }
      return compiled;
    }
  }

  /**
   * What one probe run gave.
   *
   * @param exitCode the guest's exit code
   * @param result the JSON line the probe printed (a missing node when it printed none)
   * @param denials what the policy refused
   */
  record Run(int exitCode, JsonNode result, List<Denial> denials) {
    int errno() {
      return result.path("errno").asInt(-1);
    }

    String data() {
      return result.path("data").asText(null);
    }
  }

  private FileProbe() {}

  /** Runs {@code fileprobe ARGS...} with the given configuration (its arguments are replaced). */
  static Run run(WasiConfig.Builder config, String... args) {
    return run(Mode.INTERPRETED, config, args);
  }

  /** Runs {@code fileprobe ARGS...} in the given mode. */
  static Run run(Mode mode, WasiConfig.Builder config, String... args) {
    var stdout = BoundedOutput.forStdout();
    List<String> argv = new ArrayList<>(List.of("fileprobe"));
    argv.addAll(List.of(args));
    config.withArguments(argv).withStdout(stdout);
    try (var wasi = GuardedWasi.create(config.build())) {
      int exit = execute(mode, wasi);
      return new Run(exit, parse(stdout.text()), wasi.denials());
    }
  }

  /** Runs the module under an already built WASI layer; returns the exit code. */
  static int execute(Mode mode, GuardedWasi wasi) {
    var imports = ImportValues.builder().addFunction(wasi.toHostFunctions()).build();
    var builder = Instance.builder(MODULE).withImportValues(imports);
    if (mode.machineFactory() != null) {
      builder.withMachineFactory(mode.machineFactory());
    }
    try {
      builder.build();
      return 0;
    } catch (WasiExitException e) {
      return e.exitCode();
    }
  }

  private static JsonNode parse(String stdout) {
    try {
      String line = stdout.strip();
      return line.isEmpty() ? JSON.missingNode() : JSON.readTree(line);
    } catch (IOException e) {
      throw new UncheckedIOException("probe printed no JSON: " + stdout, e);
    }
  }

  private static WasmModule load(String resource) {
    try (InputStream in = FileProbe.class.getResourceAsStream(resource)) {
      return Parser.parse(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
