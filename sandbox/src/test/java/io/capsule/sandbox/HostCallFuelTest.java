package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.protocol.Compute;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.testing.Corpus;
import io.capsule.sandbox.testing.SandboxesByMode;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Host calls charge the task for the bytes they move, through the real sandbox wiring. */
class HostCallFuelTest {
  @TempDir static Path cache;
  private static SandboxesByMode sandboxes;
  private static final TaskOptions LOW =
      TaskOptions.builder().compute(Compute.parse("LOW")).build();

  @BeforeAll
  static void start() {
    sandboxes = SandboxesByMode.create(cache);
  }

  @AfterAll
  static void stop() {
    sandboxes.close();
  }

  private static ResultEnvelope run(ExecutionMode mode, byte[] wasm, TaskOptions options) {
    Sandbox sandbox = sandboxes.get(mode);
    return sandbox.run(sandbox.prepare(wasm), new TaskCall(options, List.of()));
  }

  /**
   * Loops that each make the host handle 200 MiB (1 MiB per call) for about 2,000 operators: at LOW
   * (10⁸ fuel) they must run out of fuel, where without host charges they finish.
   */
  enum HostLoop {
    RANDOM_GET(
        "(import \"wasi_snapshot_preview1\" \"random_get\" (func $f (param i32 i32) (result i32)))",
        "(drop (call $f (i32.const 0) (i32.const 1048576)))"),
    FD_WRITE(
        "(import \"wasi_snapshot_preview1\" \"fd_write\""
            + " (func $f (param i32 i32 i32 i32) (result i32)))",
        "(i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 1048000))"
            + " (drop (call $f (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))"),
    CAPSULE_LOG(
        "(import \"capsule\" \"log\" (func $f (param i32 i32)))",
        "(call $f (i32.const 0) (i32.const 1048576))");

    final String wat;

    HostLoop(String importDecl, String call) {
      this.wat =
          "(module "
              + importDecl
              + " (memory (export \"memory\") 17)"
              + " (func (export \"_start\") (local $i i32) (loop $l "
              + call
              + " (local.set $i (i32.add (local.get $i) (i32.const 1)))"
              + " (br_if $l (i32.lt_u (local.get $i) (i32.const 200))))))";
    }
  }

  static Stream<Arguments> hostLoopsInBothModes() {
    return Stream.of(HostLoop.values())
        .flatMap(l -> Stream.of(ExecutionMode.values()).map(m -> Arguments.of(l, m)));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("hostLoopsInBothModes")
  void aLoopOfLargeHostCallsRunsOutOfFuelAtLow(HostLoop loop, ExecutionMode mode) {
    ResultEnvelope envelope = run(mode, WatAssembler.assemble(loop.wat), LOW);

    assertThat(envelope.error()).isNotNull();
    assertThat(envelope.error().errorType()).isEqualTo(ErrorType.FUEL_EXHAUSTED);
    assertThat(envelope.execution().fuelConsumed()).isEqualTo(100_000_000L);
  }

  /**
   * hello.wat executes 11 operators and writes one iovec (8 bytes) of 17 bytes: 11 + 25.
   * set_result.wat executes 14 operators, writes one iovec of 14 bytes (22) and sets a result of 15
   * bytes: 14 + 37. Nothing else changed in what a small module pays.
   */
  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void aSmallModulePaysItsOperatorsPlusItsHostBytes(ExecutionMode mode) {
    ResultEnvelope hello = run(mode, Corpus.wat("hello"), TaskOptions.NONE);
    ResultEnvelope result = run(mode, Corpus.wat("set_result"), TaskOptions.NONE);

    assertThat(hello.success()).isTrue();
    assertThat(hello.execution().fuelConsumed()).isEqualTo(11 + 8 + 17);
    assertThat(result.success()).isTrue();
    assertThat(result.execution().fuelConsumed()).isEqualTo(14 + 8 + 14 + 15);
  }
}
