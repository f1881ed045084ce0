package io.capsule.sandbox;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.capsule.protocol.InvalidModuleException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Turns WebAssembly text ({@code .wat}) into a binary module.
 *
 * <p>It runs wabt's own {@code wat2wasm}, compiled to WASI and shipped inside the {@code
 * com.dylibso.chicory:wabt} jar, on this project's Chicory runtime in the interpreter, so no native
 * tool is needed. Only the resource is used; the jar's classes (built for an older runtime) are
 * never loaded.
 */
public final class WatAssembler {
  private static final String RESOURCE = "/wat2wasm";
  private static volatile WasmModule wat2wasm;

  private WatAssembler() {}

  /**
   * Assembles WebAssembly text into a binary module.
   *
   * @param wat the module text
   * @return the binary module
   * @throws InvalidModuleException when the text does not assemble, with wat2wasm's message
   */
  public static byte[] assemble(String wat) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("capsule-wat");
      Files.writeString(dir.resolve("in.wat"), wat, StandardCharsets.UTF_8);
      var stderr = new ByteArrayOutputStream();
      int exit = runWat2Wasm(dir, stderr);
      Path out = dir.resolve("out.wasm");
      if (exit != 0 || !Files.exists(out)) {
        throw new InvalidModuleException(
            "WebAssembly text does not assemble: "
                + firstLine(stderr.toString(StandardCharsets.UTF_8)));
      }
      return Files.readAllBytes(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      deleteQuietly(dir);
    }
  }

  /** Assembles a {@code .wat} file. */
  public static byte[] assemble(Path watFile) throws IOException {
    return assemble(Files.readString(watFile, StandardCharsets.UTF_8));
  }

  private static int runWat2Wasm(Path dir, ByteArrayOutputStream stderr) {
    var options =
        WasiOptions.builder()
            .withDirectory("/w", dir)
            .withStderr(stderr)
            .withStdout(new ByteArrayOutputStream())
            .withArguments(List.of("wat2wasm", "/w/in.wat", "-o", "/w/out.wasm"))
            .build();
    try (var wasi = WasiPreview1.builder().withOptions(options).build()) {
      var imports = ImportValues.builder().addFunction(wasi.toHostFunctions()).build();
      Instance.builder(module()).withImportValues(imports).build();
      return 0;
    } catch (WasiExitException e) {
      return e.exitCode();
    }
  }

  private static WasmModule module() {
    var m = wat2wasm;
    if (m == null) {
      synchronized (WatAssembler.class) {
        if (wat2wasm == null) {
          wat2wasm = Parser.parse(readResource());
        }
        m = wat2wasm;
      }
    }
    return m;
  }

  private static byte[] readResource() {
    try (InputStream in = WatAssembler.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            "wat2wasm is missing from the classpath (chicory wabt jar)");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String firstLine(String text) {
    String trimmed = text.strip();
    int nl = trimmed.indexOf('\n');
    return nl < 0 ? trimmed : trimmed.substring(0, nl) + " …";
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort: a temp directory left behind is harmless
    }
  }
}
