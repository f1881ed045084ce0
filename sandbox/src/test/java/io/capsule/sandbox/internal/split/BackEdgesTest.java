package io.capsule.sandbox.internal.split;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.OpCode;
import io.capsule.sandbox.internal.meter.FuelInstrumenter;
import java.util.ArrayDeque;
import java.util.Deque;
import org.junit.jupiter.api.Test;

/**
 * The glue of a moved region goes back to a loop by a {@code br_if}, never through a {@code
 * br_table}: Chicory compiles a {@code br_table} to a {@code tableswitch}, at which HotSpot counts
 * no back edge, so a dispatch loop whose cases all moved out, entered once and looping only through
 * tables, would never be compiled by on-stack replacement (CPython's eval loop was not).
 */
class BackEdgesTest {
  @Test
  void noTableBranchesBackToALoop() {
    var metered = FuelInstrumenter.instrument(HugeFunction.binary(600));
    assertThat(tableBranchesBack(metered.module(), 0)).isZero();

    for (int piece : new int[] {30_000, 8_000}) {
      var split = FunctionSplitter.split(metered.bytes(), metered.module(), 30_000, piece);
      WasmModule module = split.module();
      int defined = module.functionSection().functionCount();
      for (int f = 0; f < defined; f++) {
        assertThat(tableBranchesBack(module, f)).as("function %d at %d B", f, piece).isZero();
      }
    }
  }

  /** How many {@code br_table} targets of defined function {@code defined} are loop labels. */
  private static int tableBranchesBack(WasmModule module, int defined) {
    Deque<Boolean> loops = new ArrayDeque<>();
    loops.push(false); // the function's own label
    int back = 0;
    for (var ins : module.codeSection().getFunctionBody(defined).instructions()) {
      OpCode op = ins.opcode();
      if (op == OpCode.BLOCK || op == OpCode.IF) {
        loops.push(false);
      } else if (op == OpCode.LOOP) {
        loops.push(true);
      } else if (op == OpCode.END) {
        loops.pop();
      } else if (op == OpCode.BR_TABLE) {
        var labels = loops.toArray(new Boolean[0]);
        for (long depth : ins.operands()) {
          back += labels[(int) depth] ? 1 : 0;
        }
      }
    }
    return back;
  }
}
