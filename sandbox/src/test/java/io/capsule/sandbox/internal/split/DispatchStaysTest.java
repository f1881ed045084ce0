package io.capsule.sandbox.internal.split;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.OpCode;
import io.capsule.sandbox.internal.meter.ExecutionMode;
import io.capsule.sandbox.internal.meter.FuelInstrumenter;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The region holding an interpreter's dispatch (a {@code br_table} of hundreds of targets over
 * nested case blocks) is not moved when the function can be split under the piece size without it:
 * the dispatch loop stays in the split function and each case is one call from it. When the loop
 * with the glue of its cases cannot fit so, the function is split as if it had no dispatch, and
 * nothing is left too large.
 */
class DispatchStaysTest {
  private static final int CASES = 300;

  @Test
  void theDispatchStaysInTheSplitFunction() {
    var metered = FuelInstrumenter.instrument(HugeFunction.binary(CASES));

    assertThat(widestTable(metered.module(), 0)).isEqualTo(CASES);

    var split = FunctionSplitter.split(metered.bytes(), metered.module(), 36_000);

    assertThat(split.report().functionsSplit()).isEqualTo(1);
    assertThat(split.report().leftLarge()).isEmpty();
    WasmModule module = split.module();
    assertThat(widestTable(module, 0)).isEqualTo(CASES);
    int defined = module.functionSection().functionCount();
    for (int f = 1; f < defined; f++) {
      assertThat(widestTable(module, f))
          .as("piece %d", f)
          .isLessThan(FunctionSplit.DISPATCH_TARGETS);
    }
    assertSameRuns(metered.module(), module);
  }

  @Test
  void theDispatchMovesWhenTheLoopCannotFitWithIt() {
    var metered = FuelInstrumenter.instrument(HugeFunction.binary(CASES));

    var split = FunctionSplitter.split(metered.bytes(), metered.module(), 20_000, 2_000);

    assertThat(split.report().leftLarge()).isEmpty();
    WasmModule module = split.module();
    assertThat(widestTable(module, 0)).isLessThan(CASES);
    assertSameRuns(metered.module(), module);
  }

  private static void assertSameRuns(WasmModule unsplit, WasmModule split) {
    for (long n : new long[] {0, 1, 1_000, 20_000}) {
      assertThat(SplitRun.of(split, ExecutionMode.COMPILED, "run", List.of(), n))
          .isEqualTo(SplitRun.of(unsplit, ExecutionMode.INTERPRETER, "run", List.of(), n));
    }
  }

  /** The most targets of any {@code br_table} in defined function {@code defined}. */
  private static int widestTable(WasmModule module, int defined) {
    int widest = 0;
    for (var instruction : module.codeSection().getFunctionBody(defined).instructions()) {
      if (instruction.opcode() == OpCode.BR_TABLE) {
        widest = Math.max(widest, instruction.operandCount() - 1);
      }
    }
    return widest;
  }
}
