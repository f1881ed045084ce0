package io.capsule.sandbox.internal.split;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.WasmModule;
import io.capsule.sandbox.internal.meter.ExecutionMode;
import io.capsule.sandbox.internal.meter.FuelInstrumenter;
import io.capsule.sandbox.internal.meter.FuelMeter;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A function far beyond one JVM method — an interpreter loop of 600 {@code br_table} cases, ~100 KB
 * of body once metered — which Chicory's compiler cannot compile (with {@link
 * InterpreterFallback#FAIL}) until it is split at the default threshold; split, every piece
 * compiles, and it computes what the unsplit function computes in the interpreter, on the same
 * fuel.
 */
class HugeFunctionCompilesTest {
  private static final int CASES = 600;
  private static byte[] instrumentedBytes;
  private static WasmModule instrumented;
  private static FunctionSplitter.Split split;

  @BeforeAll
  static void build() {
    var metered = FuelInstrumenter.instrument(HugeFunction.binary(CASES));
    instrumentedBytes = metered.bytes();
    instrumented = metered.module();
    split =
        FunctionSplitter.split(instrumentedBytes, instrumented, FunctionSplitter.DEFAULT_THRESHOLD);
  }

  @Test
  void unsplitFunctionDoesNotCompile() {
    int size = instrumented.codeSection().getFunctionBody(0).instructions().size();
    System.out.printf(
        "huge function: %d operators, module %d bytes%n", size, instrumentedBytes.length);
    assertThatThrownBy(() -> compile(instrumented)).isInstanceOf(RuntimeException.class);
  }

  @Test
  void splitFunctionCompilesAndComputesTheSame() {
    WasmModule module = split.module();
    compile(module);
    System.out.printf("huge function split: %s%n", split.report());

    for (long n : new long[] {0, 1, 1_000, 50_000}) {
      SplitRun interpreted =
          SplitRun.of(instrumented, ExecutionMode.INTERPRETER, "run", List.of(), n);
      SplitRun compiled = SplitRun.of(module, ExecutionMode.COMPILED, "run", List.of(), n);
      assertThat(compiled).isEqualTo(interpreted);
    }
    assertThat(split.report().functionsSplit()).isEqualTo(1);
    assertThat(split.report().leftLarge()).isEmpty();
  }

  /**
   * The regions are flat: the dispatch (a {@code br_table} over nested case blocks) and the cases
   * are each one call from the split function, never a chain of pieces calling pieces (as when each
   * region moved held the ones moved before it, which put every case behind all of them).
   */
  @Test
  void noPieceCallsAnotherPiece() {
    WasmModule module = split.module();
    int firstAdded = instrumented.functionSection().functionCount() + imported(instrumented);
    int total = module.functionSection().functionCount() + imported(module);
    assertThat(total).isGreaterThan(firstAdded + 1);
    for (int f = firstAdded; f < total; f++) {
      for (var instruction :
          module.codeSection().getFunctionBody(f - imported(module)).instructions()) {
        if (instruction.opcode() == com.dylibso.chicory.wasm.types.OpCode.CALL) {
          assertThat(instruction.operand(0))
              .as("piece %d calls function %d", f, instruction.operand(0))
              .isLessThan(firstAdded);
        }
      }
    }
  }

  private static int imported(WasmModule module) {
    return module.importSection().count(com.dylibso.chicory.wasm.types.ExternalType.FUNCTION);
  }

  private static void compile(WasmModule module) {
    var factory =
        MachineFactoryCompiler.builder(module)
            .withInterpreterFallback(InterpreterFallback.FAIL)
            .compile();
    Instance.builder(module)
        .withImportValues(
            com.dylibso.chicory.runtime.ImportValues.builder()
                .addFunction(new FuelMeter(1_000).refillFunction())
                .build())
        .withMachineFactory(factory)
        .build();
  }
}
