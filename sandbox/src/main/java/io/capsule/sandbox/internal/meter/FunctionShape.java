package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import java.util.List;

/**
 * What the metering of one function depends on.
 *
 * @param hasLoop it contains a {@code loop}
 * @param makesCalls it calls (so it may recurse: its entry must check the fuel)
 * @param catchesExceptions it contains a {@code try_table}
 * @param chargesLength it uses {@code memory.fill} or {@code memory.copy}
 */
record FunctionShape(
    boolean hasLoop, boolean makesCalls, boolean catchesExceptions, boolean chargesLength) {

  /** Whether the function checks the fuel at its entry: it may recurse. */
  boolean checksOnEntry() {
    return makesCalls;
  }

  static FunctionShape of(List<? extends Instruction> instructions) {
    boolean loop = false;
    boolean calls = false;
    boolean tryTable = false;
    boolean length = false;
    for (Instruction ins : instructions) {
      OpCode op = ins.opcode();
      loop |= op == OpCode.LOOP;
      calls |= Opcodes.isCall(op);
      tryTable |= op == OpCode.TRY_TABLE;
      length |= CostModel.chargesLength(op);
    }
    return new FunctionShape(loop, calls, tryTable, length);
  }
}
