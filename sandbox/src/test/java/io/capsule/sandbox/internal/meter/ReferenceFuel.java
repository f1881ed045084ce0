package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.runtime.ExecutionListener;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.MStack;
import com.dylibso.chicory.wasm.types.Instruction;

/**
 * Counts the fuel of the ORIGINAL module's executed operators, one by one, in Chicory's
 * interpreter: the reference the instrumented module's count must equal.
 */
final class ReferenceFuel implements ExecutionListener {
  private long fuel;
  private Instance instance;

  /** The instance being counted: {@code table.grow} also costs the size of the table it grows. */
  void attach(Instance instance) {
    this.instance = instance;
  }

  @Override
  public void onExecution(Instruction instruction, MStack stack) {
    fuel += CostModel.cost(instruction.opcode());
    CostModel.Bulk bulk = CostModel.bulk(instruction.opcode());
    if (bulk == CostModel.Bulk.NONE) {
      return;
    }
    long operand = Integer.toUnsignedLong((int) stack.peek());
    if (bulk == CostModel.Bulk.TABLE_GROW) {
      operand += instance.table((int) instruction.operand(0)).size();
    }
    fuel += operand * bulk.unitCost();
  }

  long fuel() {
    return fuel;
  }
}
