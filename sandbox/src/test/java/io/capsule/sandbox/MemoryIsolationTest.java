package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.protocol.ErrorType;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.testing.SandboxesByMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One task's linear memory never shows another's bytes, though the memories of small modules are
 * reused ({@code GuestMemoryPool}): a task that reads every byte of its memory (initial and grown
 * pages) right after tasks that filled the same shape of memory with a marker — one that ended, one
 * stopped by its timeout while still writing — finds nothing but zeros.
 */
class MemoryIsolationTest {
  private static final int BYTES = 3 * 65_536;

  /** Writes 0xA5 over its two pages (its memory is then kept for reuse). */
  private static final byte[] FILLER =
      WatAssembler.assemble(
          """
          (module
            (memory (export "memory") 2 3)
            (func (export "_start")
              (memory.fill (i32.const 0) (i32.const 0xA5) (i32.const 131072))))
          """);

  /** Grows its two pages to three and fills them (a grown memory is not reused). */
  private static final byte[] GROWING_FILLER =
      WatAssembler.assemble(
          """
          (module
            (memory (export "memory") 2 3)
            (func (export "_start")
              (drop (memory.grow (i32.const 1)))
              (memory.fill (i32.const 0) (i32.const 0xA5) (i32.const %d))))
          """
              .formatted(BYTES));

  /** Writes 0xA5 over its two pages, round and round, until it is stopped. */
  private static final byte[] ENDLESS_FILLER =
      WatAssembler.assemble(
          """
          (module
            (memory (export "memory") 2 3)
            (func (export "_start") (local $i i32)
              (loop $forever
                (i32.store8 (i32.and (local.get $i) (i32.const 131071)) (i32.const 0xA5))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $forever))))
          """);

  /** Grows the same way, then ORs every byte together: its result is 1 if any was not zero. */
  private static final byte[] SCANNER =
      WatAssembler.assemble(
          """
          (module
            (import "capsule" "set_result" (func $set_result (param i32 i32)))
            (memory (export "memory") 2 3)
            (func (export "_start") (local $i i32) (local $seen i64)
              (drop (memory.grow (i32.const 1)))
              (block $done
                (loop $scan
                  (br_if $done (i32.ge_u (local.get $i) (i32.const %d)))
                  (local.set $seen (i64.or (local.get $seen) (i64.load (local.get $i))))
                  (local.set $i (i32.add (local.get $i) (i32.const 8)))
                  (br $scan)))
              (i32.store8 (i32.const 0)
                (select (i32.const 0x31) (i32.const 0x30)
                  (i64.ne (local.get $seen) (i64.const 0))))
              (call $set_result (i32.const 0) (i32.const 1))))
          """
              .formatted(BYTES));

  @TempDir static Path cache;
  private static SandboxesByMode sandboxes;

  @BeforeAll
  static void start() {
    sandboxes = SandboxesByMode.create(cache);
  }

  @AfterAll
  static void stop() {
    sandboxes.close();
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void aTaskNeverReadsWhatTheTaskBeforeItLeftInMemory(ExecutionMode mode) {
    Sandbox sandbox = sandboxes.get(mode);
    for (int round = 0; round < 5; round++) {
      assertThat(attempt(sandbox, FILLER, TaskOptions.NONE).success()).isTrue();
      assertScansClean(sandbox, round);
      assertThat(attempt(sandbox, GROWING_FILLER, TaskOptions.NONE).success()).isTrue();
      assertScansClean(sandbox, round);
    }
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void aTaskNeverReadsWhatATimedOutTaskKeptWriting(ExecutionMode mode) {
    Sandbox sandbox = sandboxes.get(mode);
    TaskOptions briefly = TaskOptions.builder().timeout(Duration.ofMillis(100)).build();
    for (int round = 0; round < 2; round++) {
      ResultEnvelope stopped = attempt(sandbox, ENDLESS_FILLER, briefly);
      assertThat(stopped.error().errorType()).isEqualTo(ErrorType.TIMEOUT);
      for (int scan = 0; scan < 3; scan++) {
        assertScansClean(sandbox, round);
      }
    }
  }

  private static ResultEnvelope attempt(Sandbox sandbox, byte[] module, TaskOptions options) {
    return sandbox.attempt(sandbox.prepare(module), new TaskCall(options, List.of()));
  }

  private static void assertScansClean(Sandbox sandbox, int round) {
    ResultEnvelope scanned = attempt(sandbox, SCANNER, TaskOptions.NONE);
    assertThat(scanned.success()).as("scan: %s", scanned.error()).isTrue();
    assertThat(scanned.result().asInt()).as("non-zero bytes seen in round %d", round).isZero();
  }
}
