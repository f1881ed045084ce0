package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import java.util.EnumSet;
import java.util.Set;

/** How the instrumenter classifies operators: calls, control transfers and segment ends. */
final class Opcodes {
  /** Calls that return to the caller: the counter is written back before and reloaded after. */
  private static final Set<OpCode> RETURNING_CALLS =
      EnumSet.of(OpCode.CALL, OpCode.CALL_INDIRECT, OpCode.CALL_REF);

  /** Operators that leave the frame without returning to it. */
  private static final Set<OpCode> FRAME_EXITS =
      EnumSet.of(
          OpCode.RETURN,
          OpCode.RETURN_CALL,
          OpCode.RETURN_CALL_INDIRECT,
          OpCode.RETURN_CALL_REF,
          OpCode.THROW,
          OpCode.THROW_REF);

  /** Operators after which a new straight-line segment starts. */
  private static final Set<OpCode> SEGMENT_ENDS =
      EnumSet.of(
          OpCode.BLOCK,
          OpCode.LOOP,
          OpCode.IF,
          OpCode.ELSE,
          OpCode.END,
          OpCode.TRY_TABLE,
          OpCode.BR,
          OpCode.BR_IF,
          OpCode.BR_TABLE,
          OpCode.BR_ON_NULL,
          OpCode.BR_ON_NON_NULL,
          OpCode.BR_ON_CAST,
          OpCode.BR_ON_CAST_FAIL,
          OpCode.UNREACHABLE);

  private static final long[] NO_LABELS = {};

  private Opcodes() {}

  static boolean isReturningCall(OpCode op) {
    return RETURNING_CALLS.contains(op);
  }

  static boolean isCall(OpCode op) {
    return isReturningCall(op)
        || op == OpCode.RETURN_CALL
        || op == OpCode.RETURN_CALL_INDIRECT
        || op == OpCode.RETURN_CALL_REF;
  }

  static boolean leavesFrame(OpCode op) {
    return FRAME_EXITS.contains(op);
  }

  static boolean endsSegment(OpCode op) {
    return SEGMENT_ENDS.contains(op) || isReturningCall(op) || leavesFrame(op);
  }

  static boolean opensBlock(OpCode op) {
    return op == OpCode.BLOCK || op == OpCode.LOOP || op == OpCode.IF || op == OpCode.TRY_TABLE;
  }

  /** Whether the branch {@code ins}, at block nesting {@code depth}, may target the function. */
  static boolean mayBranchOutOfFunction(Instruction ins, int depth) {
    for (long label : branchLabels(ins)) {
      if (label == depth) {
        return true;
      }
    }
    return false;
  }

  /** The labels (relative depths) a branch instruction names; none for other instructions. */
  static long[] branchLabels(Instruction ins) {
    switch (ins.opcode()) {
      case BR:
      case BR_IF:
      case BR_ON_NULL:
      case BR_ON_NON_NULL:
        return new long[] {ins.operand(0)};
      case BR_ON_CAST:
      case BR_ON_CAST_FAIL:
        return new long[] {ins.operand(1)};
      case BR_TABLE:
        return ins.operands();
      default:
        return NO_LABELS;
    }
  }
}
