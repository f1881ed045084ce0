package io.capsule.sandbox.internal.split;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wasm.WasmModule;
import io.capsule.sandbox.internal.meter.ExecutionMode;
import io.capsule.sandbox.internal.meter.FuelInstrumenter;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The glue of every moved region shares a few scratch locals (the exit code, the results and exit
 * slots it takes from the call) rather than adding its own: a split interpreter loop keeps about
 * the locals it had. With a local per glue, CPython's eval loop went from 18 locals to 258, and
 * HotSpot's C1 refused the method ("out of virtual registers"), leaving it to the bytecode
 * interpreter for seconds of every worker's start.
 */
class GlueLocalsTest {
  private static final int CASES = 600;

  @Test
  void aSplitLoopKeepsAboutTheLocalsItHad() {
    var metered = FuelInstrumenter.instrument(HugeFunction.binary(CASES));
    int before = locals(metered.module(), 0);

    for (int piece : new int[] {30_000, 8_000, 2_000}) {
      var split = FunctionSplitter.split(metered.bytes(), metered.module(), 30_000, piece);
      WasmModule module = split.module();
      assertThat(split.report().functionsSplit()).isEqualTo(1);
      int defined = module.functionSection().functionCount();
      assertThat(defined).as("regions moved at %d B", piece).isGreaterThan(10);
      for (int f = 0; f < defined; f++) {
        assertThat(locals(module, f)).as("function %d at %d B", f, piece).isLessThan(before + 8);
      }
    }
  }

  @Test
  void sharedScratchLocalsLeaveResultsAndFuelAsTheyWere() {
    var metered = FuelInstrumenter.instrument(HugeFunction.binary(CASES));
    var split = FunctionSplitter.split(metered.bytes(), metered.module(), 30_000, 2_000);
    for (long n : new long[] {0, 1, 50, 3_000}) {
      SplitRun before = SplitRun.of(metered.module(), ExecutionMode.COMPILED, "run", List.of(), n);
      SplitRun after = SplitRun.of(split.module(), ExecutionMode.COMPILED, "run", List.of(), n);
      assertThat(after).as("run(%d)", n).isEqualTo(before);
    }
  }

  /** Parameters and declared locals of defined function {@code defined}. */
  private static int locals(WasmModule module, int defined) {
    var type = module.typeSection().getType(module.functionSection().getFunctionType(defined));
    return type.params().size() + module.codeSection().getFunctionBody(defined).localTypes().size();
  }
}
