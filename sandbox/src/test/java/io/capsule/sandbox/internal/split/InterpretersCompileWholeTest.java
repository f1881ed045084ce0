package io.capsule.sandbox.internal.split;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.internal.Compiler;
import com.dylibso.chicory.wasm.WasmModule;
import io.capsule.sandbox.internal.lang.InterpreterArtifact;
import io.capsule.sandbox.internal.meter.FuelInstrumenter;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The interpreters Capsule runs, fuel-instrumented as the sandbox runs them: unsplit, some of their
 * functions are too large for one JVM method and Chicory's compiler leaves them to its interpreter
 * (CPython's eval loop among them); split at the default threshold, none is left (a function the
 * splitter could not bring under the threshold may still fit one JVM method). The resumable CPython
 * (after Asyncify, which needs Binaryen and the snapshot probe) is counted by {@code capsule bench
 * lang}'s {@code interpreted_functions} instead. Tagged slow: compiling CPython takes minutes (run
 * with {@code -Dtest.excluded.groups=}); the interpreters come from the build's shared test cache
 * (fetched with npm on first use).
 */
@Tag("slow")
class InterpretersCompileWholeTest {
  private static final Path CACHE =
      Path.of(System.getProperty("capsule.test.shared.cache", "target/shared-test-cache"));

  @ParameterizedTest
  @EnumSource(InterpreterArtifact.class)
  void noFunctionIsLeftToChicorysInterpreterOnceSplit(InterpreterArtifact artifact) {
    var instrumented = FuelInstrumenter.instrument(artifact.load(CACHE, System.err));
    var split = FunctionSplitter.split(instrumented.bytes(), instrumented.module());

    Set<Integer> before = interpreted(instrumented.module());
    Set<Integer> after = interpreted(split.module());

    System.out.printf(
        "%s: %d functions fall back to the interpreter unsplit %s, %d split; %s%n",
        artifact.npmSpec(), before.size(), before, after.size(), split.report());
    assertThat(after).isEmpty();
  }

  private static Set<Integer> interpreted(WasmModule module) {
    return Compiler.builder(module)
        .withInterpreterFallback(InterpreterFallback.SILENT)
        .build()
        .compile()
        .interpretedFunctions();
  }
}
