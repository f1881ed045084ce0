package io.capsule.bench;

import io.capsule.sandbox.WatAssembler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;

/** The modules the benchmarks run: a trivial task, a sleeping task and the CPU-bound set. */
final class BenchModules {
  /** The CPU-bound set, built from C with clang (sources in the sandbox's test corpus). */
  static final List<String> CPU = List.of("fib", "loop", "qsort", "matmul", "lz");

  private static final String FD_WRITE =
      "(import \"wasi_snapshot_preview1\" \"fd_write\""
          + " (func $w (param i32 i32 i32 i32) (result i32)))";

  // Writes "{}" to stdout: iovec at 0 -> (16, 2), bytes written to 8.
  private static final String PRINT_EMPTY_OBJECT =
      "(i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 2))"
          + " (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))";

  private BenchModules() {}

  /** A WASI command that prints {@code {}} and exits: the cheapest task there is. */
  static byte[] trivial() {
    return WatAssembler.assemble(
        "(module "
            + FD_WRITE
            + " (memory (export \"memory\") 1) (data (i32.const 16) \"{}\")"
            + " (func (export \"_start\") "
            + PRINT_EMPTY_OBJECT
            + "))");
  }

  /**
   * A WASI command that sleeps (one relative clock subscription to {@code poll_oneoff}), then
   * prints {@code {}}: a long task that holds a task slot without burning a core, like an agent
   * waiting on a model.
   */
  static byte[] sleeper(Duration sleep) {
    // Subscription at 64: userdata, tag 0 (clock) at +8, clock id 1 (monotonic) at +16,
    // timeout (ns) at +24, precision at +32, flags 0 (relative) at +40. Event out at 128.
    return WatAssembler.assemble(
        "(module (import \"wasi_snapshot_preview1\" \"poll_oneoff\""
            + " (func $poll (param i32 i32 i32 i32) (result i32))) "
            + FD_WRITE
            + " (memory (export \"memory\") 1) (data (i32.const 16) \"{}\")"
            + " (func (export \"_start\")"
            + " (i32.store (i32.const 80) (i32.const 1))"
            + " (i64.store (i32.const 88) (i64.const "
            + sleep.toNanos()
            + "))"
            + " (drop (call $poll (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 192)))"
            + " "
            + PRINT_EMPTY_OBJECT
            + "))");
  }

  /** One module of the CPU-bound set, from this module's resources. */
  static byte[] cpu(String name) {
    return resource("/bench/" + name + ".wasm");
  }

  /** A resource of this module, whole. */
  static byte[] resource(String path) {
    try (InputStream in = BenchModules.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("benchmark resource " + path + " is missing");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
