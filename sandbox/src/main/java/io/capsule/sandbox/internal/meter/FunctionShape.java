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
 * @param chargesLength it uses an operator that costs an operand (see {@link CostModel#bulk})
 */
record FunctionShape(
    boolean hasLoop, boolean makesCalls, boolean catchesExceptions, boolean chargesLength) {

  /** Whether the function checks the fuel at its entry: it may recurse. */
  boolean checksOnEntry() {
    return makesCalls;
  }

  /**
   * Analyses one function body.
   *
   * @throws io.capsule.protocol.InvalidModuleException when it uses an operator the cost model
   *     cannot price
   */
  static FunctionShape of(List<? extends Instruction> instructions) {
    boolean loop = false;
    boolean calls = false;
    boolean tryTable = false;
    boolean length = false;
    for (Instruction ins : instructions) {
      OpCode op = ins.opcode();
      CostModel.requirePriced(op);
      loop |= op == OpCode.LOOP;
      calls |= Opcodes.isCall(op);
      tryTable |= op == OpCode.TRY_TABLE;
      length |= CostModel.chargesLength(op);
    }
    return new FunctionShape(loop, calls, tryTable, length);
  }
}
