package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wasm.WasmModule;
import io.capsule.sandbox.internal.PreparationBudget;
import io.capsule.sandbox.internal.split.HugeFunction;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An interpreter is split into the piece size its preparer asks for (CPython 8,000 bytes, the
 * others the default), and the split module is cached per piece size: the same interpreter asked
 * for at another size from the same cache is split again, not read back at the first size.
 */
class InterpreterPieceSizeTest {
  private static final byte[] LOOP = HugeFunction.binary(600);

  @TempDir Path cache;

  @Test
  void eachPieceSizeGetsItsOwnSplitFromOneCache() {
    var config =
        SandboxConfig.builder()
            .withCacheDir(cache)
            .withExecutionMode(ExecutionMode.INTERPRETED)
            .build();

    WasmModule small = prepare(config, 8_000);
    WasmModule large = prepare(config, 30_000);

    assertThat(loopBody(small)).isLessThanOrEqualTo(8_000);
    assertThat(loopBody(large)).isGreaterThan(8_000).isLessThanOrEqualTo(30_000);
    assertThat(loopBody(prepare(config, 8_000))).isEqualTo(loopBody(small));
  }

  private static WasmModule prepare(SandboxConfig config, int pieceSize) {
    return new ModulePreparer(config)
        .prepareInterpreter(LOOP, PreparationBudget.unlimited(), pieceSize)
        .module();
  }

  /** The size of the split loop's body (the module's one function of its own). */
  private static int loopBody(WasmModule module) {
    var instructions = module.codeSection().getFunctionBody(0).instructions();
    return instructions.get(instructions.size() - 1).address() - instructions.get(0).address();
  }
}
