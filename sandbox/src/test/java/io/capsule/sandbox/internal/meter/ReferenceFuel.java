package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.runtime.ExecutionListener;
import com.dylibso.chicory.runtime.MStack;
import com.dylibso.chicory.wasm.types.Instruction;

/**
 * Counts the fuel of the ORIGINAL module's executed operators, one by one, in Chicory's
 * interpreter: the reference the instrumented module's count must equal.
 */
final class ReferenceFuel implements ExecutionListener {
  private long fuel;

  @Override
  public void onExecution(Instruction instruction, MStack stack) {
    fuel += CostModel.cost(instruction.opcode());
    if (CostModel.chargesLength(instruction.opcode())) {
      fuel += Integer.toUnsignedLong((int) stack.peek());
    }
  }

  long fuel() {
    return fuel;
  }
}
