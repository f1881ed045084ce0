package io.capsule.sandbox;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.capsule.protocol.InvalidModuleException;
import io.capsule.sandbox.internal.PreparationBudget;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 *
 * <p>Assembly is bounded: text over {@value #MAX_TEXT_BYTES} bytes is refused before any work, and
 * wat2wasm is interrupted at its deadline (Chicory's interpreter checks interrupts at calls and
 * branches; wat2wasm assembles tens of KB of text per second on it). Both end in {@link
 * InvalidModuleException} naming the limit.
 */
public final class WatAssembler {
  /**
   * The largest text assembled: 4 MiB (UTF-8), a minute or more of wat2wasm. Assemble larger
   * modules ahead of time (e.g. with wabt's native {@code wat2wasm}) and run the binary.
   */
  public static final int MAX_TEXT_BYTES = 4 << 20;

  private static final String RESOURCE = "/wat2wasm";
  private static volatile WasmModule wat2wasm;

  private WatAssembler() {}

  /**
   * Assembles WebAssembly text into a binary module within {@linkplain
   * SandboxConfig#DEFAULT_PREPARATION_TIMEOUT the default preparation timeout}.
   *
   * @param wat the module text
   * @return the binary module
   * @throws InvalidModuleException when the text does not assemble, with wat2wasm's message, or
   *     exceeds its size or time budget
   */
  public static byte[] assemble(String wat) {
    return assemble(wat, null);
  }

  /**
   * Assembles WebAssembly text into a binary module within a task's {@code timeout}, raised to
   * {@linkplain SandboxConfig#DEFAULT_MIN_PREPARATION_TIME the default minimum preparation time}
   * (wat2wasm alone takes a second or more to start on a cold JVM) and capped by {@linkplain
   * SandboxConfig#DEFAULT_PREPARATION_TIMEOUT the default preparation timeout}; {@code null}: the
   * latter.
   *
   * @throws InvalidModuleException when the text does not assemble, with wat2wasm's message, or
   *     exceeds its size or time budget
   */
  public static byte[] assemble(String wat, Duration timeout) {
    return assemble(wat, timeout, SandboxConfig.DEFAULT_MIN_PREPARATION_TIME);
  }

  /**
   * Assembles within the budget of a task with {@code timeout}, raised to {@code floor}; the clock
   * starts once wat2wasm is loaded (Capsule's own tool: loading it is not the text's cost).
   */
  static byte[] assemble(String wat, Duration timeout, Duration floor) {
    byte[] text = wat.getBytes(StandardCharsets.UTF_8);
    if (text.length > MAX_TEXT_BYTES) {
      throw tooLarge("WebAssembly text", text.length);
    }
    module();
    var budget = PreparationBudget.of(timeout, floor, SandboxConfig.DEFAULT_PREPARATION_TIMEOUT);
    budget.enter("WAT assembly");
    return assemble(text, budget);
  }

  private static byte[] assemble(byte[] text, PreparationBudget budget) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("capsule-wat");
      Files.write(dir.resolve("in.wat"), text);
      var stderr = new ByteArrayOutputStream();
      Path work = dir;
      int exit = budget.interruptAtDeadline(() -> runWat2Wasm(work, stderr));
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

  /** Assembles a {@code .wat} file (see {@link #assemble(String)}). */
  public static byte[] assemble(Path watFile) throws IOException {
    return assemble(watFile, null);
  }

  /** Assembles a {@code .wat} file (see {@link #assemble(String, Duration)}). */
  public static byte[] assemble(Path watFile, Duration timeout) throws IOException {
    long size = Files.size(watFile);
    if (size > MAX_TEXT_BYTES) {
      throw tooLarge(String.valueOf(watFile.getFileName()), size);
    }
    return assemble(Files.readString(watFile, StandardCharsets.UTF_8), timeout);
  }

  private static InvalidModuleException tooLarge(String what, long size) {
    return new InvalidModuleException(
        what
            + " is "
            + size
            + " bytes, over the "
            + MAX_TEXT_BYTES
            + "-byte limit of WAT assembly; assemble it ahead of time and run the .wasm");
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
    } catch (ChicoryInterruptedException e) {
      throw e;
    } catch (ChicoryException e) {
      // wat2wasm itself trapped (e.g. its stack ran out on deeply nested text)
      stderr.writeBytes(("wat2wasm stopped: " + e.getMessage()).getBytes(StandardCharsets.UTF_8));
      return 1;
    } catch (StackOverflowError e) {
      stderr.writeBytes(
          "wat2wasm stopped: the text nests too deeply".getBytes(StandardCharsets.UTF_8));
      return 1;
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
