package io.capsule.bench;

import io.capsule.protocol.ErrorType;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.sandbox.WatAssembler;
import java.time.Duration;

/**
 * The kinds of task in the chaos run's stream, each with the one outcome it must end with whatever
 * the faults: trivial and sleeping tasks succeed on their first attempt's terms; a failing task
 * exits 1 on every attempt and ends {@code task_error} after exactly {@link #FAIL_RETRIES} retries;
 * a poison record is not a task at all and must land in the dead-letter topic.
 */
enum ChaosTaskKind {
  TRIVIAL,
  SLEEP,
  FAIL,
  POISON;

  /** The retries a failing task asks for. */
  static final int FAIL_RETRIES = 2;

  /** Picks the kind of task {@code i}: 70% trivial, 15% sleeping, 10% failing, 5% poison. */
  static ChaosTaskKind of(long seed) {
    int slot = (int) Math.floorMod(seed, 20L);
    if (slot < 14) {
      return TRIVIAL;
    }
    if (slot < 17) {
      return SLEEP;
    }
    return slot < 19 ? FAIL : POISON;
  }

  /** How long a sleeping task {@code i} sleeps: 1, 2 or 3 s. */
  static Duration sleepOf(int i) {
    return Duration.ofSeconds(1 + Math.floorMod(i / 20, 3));
  }

  /**
   * What is wrong with {@code envelope} as this kind's final outcome, or {@code null} when it is
   * what this kind must end with.
   */
  String mismatch(ResultEnvelope envelope) {
    return switch (this) {
      case TRIVIAL, SLEEP ->
          envelope.success() ? null : "expected success, got " + envelope.error().errorType();
      case FAIL -> failMismatch(envelope);
      case POISON -> "a poison record got an envelope";
    };
  }

  private static String failMismatch(ResultEnvelope envelope) {
    if (envelope.success() || envelope.error().errorType() != ErrorType.TASK_ERROR) {
      return "expected task_error, got " + (envelope.success() ? "success" : envelope.error());
    }
    if (envelope.attempt() != FAIL_RETRIES + 1 || envelope.execution().retries() != FAIL_RETRIES) {
      return "expected attempt "
          + (FAIL_RETRIES + 1)
          + " after "
          + FAIL_RETRIES
          + " retries, got attempt "
          + envelope.attempt()
          + " retries "
          + envelope.execution().retries();
    }
    return null;
  }

  /** A WASI command that exits with code 1: a {@code task_error}, retryable. */
  static byte[] failing() {
    return WatAssembler.assemble(
        "(module (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))"
            + " (memory (export \"memory\") 1)"
            + " (func (export \"_start\") (call $exit (i32.const 1))))");
  }
}
