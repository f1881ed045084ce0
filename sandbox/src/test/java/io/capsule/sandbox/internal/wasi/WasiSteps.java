package io.capsule.sandbox.internal.wasi;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.capsule.sandbox.WatAssembler;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A guest that makes a fixed sequence of raw WASI file calls, written as WebAssembly text and
 * assembled per test, for attacks that need several calls in ONE run (the C file probe makes one).
 *
 * <p>Every step but {@link #close} prints one line: the call's WASI errno as two digits, and for
 * {@link #read} a space and the bytes read. {@link #open} keeps the opened fd for the steps after
 * it. {@link #repeat} runs the steps added inside it in a loop (not nested).
 */
final class WasiSteps {
  static final int PREOPEN = 3;
  static final int OFLAG_CREAT = 1;
  static final int OFLAG_TRUNC = 8;
  static final long RIGHT_READ = 1L << 1;
  static final long RIGHT_WRITE = 1L << 6;

  private static final int STRINGS = 4096;

  private final StringBuilder data = new StringBuilder();
  private final StringBuilder body = new StringBuilder();
  private int nextString = STRINGS;
  private boolean looping;
  private WasmModule module;

  /** The lines one run printed. */
  record Run(int exitCode, List<String> lines, List<Denial> denials) {
    /** The errno of every line, in order. */
    List<Integer> errnos() {
      return lines.stream().map(line -> Integer.parseInt(line.substring(0, 2))).toList();
    }
  }

  /** path_open; {@code follow} sets the symlink-follow lookup flag. */
  WasiSteps open(int dirFd, String path, int oflags, long rights, boolean follow) {
    body.append("(i32.store (i32.const 40) (i32.const -1))\n")
        .append(
            call(
                "path_open",
                dirFd,
                follow ? 1 : 0,
                string(path),
                oflags,
                "(i64.const " + rights + ")",
                "(i64.const 0)",
                0,
                40))
        .append("(global.set $fd (i32.load (i32.const 40)))\n");
    return this;
  }

  /** Opens {@code path} under the first preopen for reading, following symlinks. */
  WasiSteps openToRead(String path) {
    return open(PREOPEN, path, 0, RIGHT_READ, true);
  }

  /** Opens {@code path} under the first preopen truncated for writing (as {@code O_TRUNC}). */
  WasiSteps openToOverwrite(String path) {
    return open(PREOPEN, path, OFLAG_CREAT | OFLAG_TRUNC, RIGHT_WRITE, true);
  }

  /** fd_write of {@code text} to the last opened fd. */
  WasiSteps write(String text) {
    int ptr = place(text);
    body.append(
        String.format(
            "(i32.store (i32.const 48) (i32.const %d)) (i32.store (i32.const 52) (i32.const %d))%n",
            ptr, utf8(text).length));
    body.append(call("fd_write", "(global.get $fd)", 48, 1, 56));
    return this;
  }

  /** fd_read of up to 2 KiB from the last opened fd; the line carries what was read. */
  WasiSteps read() {
    body.append("(call $read)\n");
    return this;
  }

  /** fd_close of the last opened fd; prints nothing. */
  WasiSteps close() {
    body.append("(drop (call $fd_close (global.get $fd)))\n");
    return this;
  }

  WasiSteps rename(String from, String to) {
    body.append(call("path_rename", PREOPEN, string(from), PREOPEN, string(to)));
    return this;
  }

  WasiSteps removeDirectory(String path) {
    body.append(call("path_remove_directory", PREOPEN, string(path)));
    return this;
  }

  WasiSteps createDirectory(String path) {
    body.append(call("path_create_directory", PREOPEN, string(path)));
    return this;
  }

  WasiSteps symlink(String target, String link) {
    body.append(call("path_symlink", string(target), PREOPEN, string(link)));
    return this;
  }

  /** Runs {@code steps} (added to this same builder) {@code times} times. */
  WasiSteps repeat(int times, Runnable steps) {
    if (looping) {
      throw new IllegalStateException("repeat does not nest");
    }
    looping = true;
    body.append("(local.set $i (i32.const 0))\n(block $done (loop $again\n")
        .append(String.format("(br_if $done (i32.ge_u (local.get $i) (i32.const %d)))%n", times));
    steps.run();
    body.append("(local.set $i (i32.add (local.get $i) (i32.const 1)))\n(br $again)))\n");
    looping = false;
    return this;
  }

  /** The module as WebAssembly text. */
  String wat() {
    return HEADER + data + RUNTIME + "(func (export \"_start\") (local $i i32)\n" + body + "))\n";
  }

  /** The assembled module (assembled once: call it before racing runs against each other). */
  synchronized WasmModule module() {
    if (module == null) {
      module = Parser.parse(WatAssembler.assemble(wat()));
    }
    return module;
  }

  /** Assembles and runs the steps under {@code config} (interpreted). */
  Run run(WasiConfig.Builder config) {
    return run(config, () -> {});
  }

  /** Runs the steps; {@code beforeStart} runs after the WASI layer is made, before the guest. */
  Run run(WasiConfig.Builder config, Runnable beforeStart) {
    var stdout = BoundedOutput.forStdout();
    try (var wasi = GuardedWasi.create(config.withStdout(stdout).build())) {
      beforeStart.run();
      int exit = execute(module(), wasi);
      return new Run(exit, lines(stdout.text()), wasi.denials());
    }
  }

  private static int execute(WasmModule module, GuardedWasi wasi) {
    var imports = ImportValues.builder().addFunction(wasi.toHostFunctions()).build();
    try {
      Instance.builder(module).withImportValues(imports).build();
      return 0;
    } catch (WasiExitException e) {
      return e.exitCode();
    }
  }

  private static List<String> lines(String text) {
    List<String> lines = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (!line.isEmpty()) {
        lines.add(line);
      }
    }
    return lines;
  }

  /** A call whose errno is printed; a String argument is WAT, a number an i32 constant. */
  private static String call(String function, Object... args) {
    StringBuilder call = new StringBuilder("(call $errno (call $" + function);
    for (Object arg : args) {
      call.append(' ').append(arg instanceof String ? arg : "(i32.const " + arg + ")");
    }
    return call.append("))\n").toString();
  }

  /** Places a string in memory; returns "ptr) (i32.const len" as the two i32 arguments. */
  private String string(String text) {
    return "(i32.const " + place(text) + ") (i32.const " + utf8(text).length + ")";
  }

  /** Places a string in memory; returns its address. */
  private int place(String text) {
    byte[] bytes = utf8(text);
    int ptr = nextString;
    data.append(String.format("(data (i32.const %d) \"%s\")%n", ptr, escape(bytes)));
    nextString += bytes.length + 1;
    return ptr;
  }

  private static String escape(byte[] bytes) {
    StringBuilder out = new StringBuilder();
    for (byte b : bytes) {
      out.append(String.format("\\%02x", b & 0xff));
    }
    return out.toString();
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static final String HEADER =
      """
      (module
      (import "wasi_snapshot_preview1" "path_open"
        (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_write"
        (func $fd_write (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_read"
        (func $fd_read (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
      (import "wasi_snapshot_preview1" "path_rename"
        (func $path_rename (param i32 i32 i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "path_remove_directory"
        (func $path_remove_directory (param i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "path_create_directory"
        (func $path_create_directory (param i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "path_symlink"
        (func $path_symlink (param i32 i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (global $fd (mut i32) (i32.const -1))
      (data (i32.const 20) "\\0a ")
      """;

  // $out writes memory[p, p+n) to stdout; $errno prints two digits, $nl a newline.
  private static final String RUNTIME =
      """
      (func $out (param $p i32) (param $n i32)
        (i32.store (i32.const 0) (local.get $p)) (i32.store (i32.const 4) (local.get $n))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
      (func $digits (param $e i32)
        (i32.store8 (i32.const 16) (i32.add (i32.const 48) (i32.div_u (local.get $e) (i32.const 10))))
        (i32.store8 (i32.const 17) (i32.add (i32.const 48) (i32.rem_u (local.get $e) (i32.const 10))))
        (call $out (i32.const 16) (i32.const 2)))
      (func $errno (param $e i32) (call $digits (local.get $e)) (call $out (i32.const 20) (i32.const 1)))
      (func $read (local $e i32)
        (i32.store (i32.const 24) (i32.const 1024)) (i32.store (i32.const 28) (i32.const 2048))
        (i32.store (i32.const 32) (i32.const 0))
        (local.set $e (call $fd_read (global.get $fd) (i32.const 24) (i32.const 1) (i32.const 32)))
        (call $digits (local.get $e))
        (if (i32.eqz (local.get $e))
          (then (call $out (i32.const 21) (i32.const 1))
                (call $out (i32.const 1024) (i32.load (i32.const 32)))))
        (call $out (i32.const 20) (i32.const 1)))
      """;
}
