package io.capsule.sandbox.internal.split;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wasm.WasmModule;
import io.capsule.sandbox.internal.meter.ExecutionMode;
import io.capsule.sandbox.internal.meter.FuelInstrumenter;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A function above the threshold is split until its body and every region moved out fit the piece
 * size (so that HotSpot's C2 compiles them); a function between the two sizes fits one JVM method
 * and stays whole.
 */
class PieceSizeTest {
  private static final int THRESHOLD = 30_000;
  private static final int PIECE = 8_000;

  @Test
  void aFunctionAboveTheThresholdIsSplitIntoPiecesOfThePieceSize() {
    var metered = FuelInstrumenter.instrument(HugeFunction.binary(600));

    var split = FunctionSplitter.split(metered.bytes(), metered.module(), THRESHOLD, PIECE);

    assertThat(split.report().functionsSplit()).isEqualTo(1);
    assertThat(split.report().functionsAdded()).isGreaterThan(5);
    WasmModule module = split.module();
    assertThat(bodySize(module, 0)).isLessThanOrEqualTo(PIECE);
    for (long n : new long[] {0, 1, 1_000, 20_000}) {
      assertThat(SplitRun.of(module, ExecutionMode.COMPILED, "run", List.of(), n))
          .isEqualTo(SplitRun.of(metered.module(), ExecutionMode.INTERPRETER, "run", List.of(), n));
    }
  }

  @Test
  void aFunctionBetweenThePieceSizeAndTheThresholdStaysWhole() {
    var metered = FuelInstrumenter.instrument(HugeFunction.binary(100));
    assertThat(bodySize(metered.module(), 0)).isBetween(PIECE, THRESHOLD);

    var split = FunctionSplitter.split(metered.bytes(), metered.module(), THRESHOLD, PIECE);

    assertThat(split.report().functionsSplit()).isZero();
    assertThat(split.bytes()).isEqualTo(metered.bytes());
  }

  private static int bodySize(WasmModule module, int defined) {
    var instructions = module.codeSection().getFunctionBody(defined).instructions();
    return instructions.get(instructions.size() - 1).address() - instructions.get(0).address();
  }
}
