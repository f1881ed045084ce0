package io.capsule.sandbox.internal.split;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.wasm.WasmModule;
import io.capsule.sandbox.internal.InterpreterFallbacks;
import io.capsule.sandbox.internal.LayeredCache;
import io.capsule.sandbox.internal.meter.FuelInstrumenter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link InterpreterFallbacks#count} reads, from the compiled classes alone (as a cache entry holds
 * them), how many functions Chicory left to its interpreter: the figure {@code capsule bench lang}
 * prints as {@code interpreted_functions}.
 */
class InterpretedFunctionCountTest {

  @Test
  void countsTheFunctionsTooLargeForOneJvmMethodAndNoneOnceSplit() {
    var metered = FuelInstrumenter.instrument(HugeFunction.binary(600));
    var split = FunctionSplitter.split(metered.bytes(), metered.module());

    assertThat(InterpreterFallbacks.count(classes(metered.module()))).isEqualTo(1);
    assertThat(InterpreterFallbacks.count(classes(split.module()))).isZero();
  }

  @Test
  void classesThatCannotBeReadCountAsUnknown() {
    assertThat(InterpreterFallbacks.count(null)).isEqualTo(-1);
    assertThat(InterpreterFallbacks.count(new byte[] {1, 2, 3})).isEqualTo(-1);
  }

  private static byte[] classes(WasmModule module) {
    var cache = new LayeredCache(Map.of(), null);
    MachineFactoryCompiler.builder(module)
        .withCache(cache)
        .withInterpreterFallback(InterpreterFallback.SILENT)
        .compile();
    return cache.entry(module.digest());
  }
}
