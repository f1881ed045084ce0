package io.capsule.sandbox.internal.split;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wasm.WasmModule;
import io.capsule.sandbox.internal.meter.ExecutionMode;
import io.capsule.sandbox.internal.meter.FuelInstrumenter;
import io.capsule.sandbox.internal.meter.SpecScript;
import io.capsule.sandbox.internal.meter.SpecSuite;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A differential test of the function splitter against the control-flow scripts of the WebAssembly
 * spec test suite (see {@link SpecSuite}): every module, fuel-instrumented, then split with a
 * threshold so small that nearly every function of more than a few operators is cut into pieces,
 * gives the same results and traps as the instrumented module unsplit, in Chicory's interpreter and
 * compiler. It prints how many modules, assertions and split functions it ran.
 */
class SplitSpecSuiteDifferentialTest {
  /** Small enough that most spec functions split, several times over. */
  private static final int THRESHOLD = 24;

  private static final Set<String> CONTROL_FLOW =
      Set.of(
          "block",
          "br",
          "br_if",
          "br_table",
          "loop",
          "if",
          "return",
          "call",
          "call_indirect",
          "labels",
          "switch",
          "fac",
          "local_get",
          "local_set",
          "local_tee",
          "nop",
          "unwind",
          "func",
          "stack",
          "select",
          "forward",
          "left-to-right",
          "traps",
          "unreachable",
          "memory_grow",
          "globals",
          "start",
          "store",
          "address",
          "endianness",
          "float_exprs",
          "int_exprs",
          "multivalue",
          "break-drop",
          "func_ptrs",
          "call_ref",
          "br_on_null",
          "exception-handling",
          "tuples",
          "store_retval",
          "memory_trap",
          "get_local",
          "set_local",
          "tee_local",
          "old_block",
          "old_br_if",
          "old_loop",
          "old_call",
          "old_call_indirect",
          "old_unreachable",
          "old_func",
          "old_select",
          "unreached-invalid",
          "memory");

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void splitModulesBehaveAsUnsplit(ExecutionMode mode) {
    SpecSuite suite = SpecSuite.load();
    var tally = new SpecScript.Tally();
    var split = new AtomicInteger();
    var added = new AtomicInteger();
    var files = new AtomicInteger();
    suite
        .scripts()
        .forEach(
            (file, json) -> {
              if (CONTROL_FLOW.contains(file)) {
                files.incrementAndGet();
                SpecScript.run(
                    file,
                    json,
                    mode,
                    tally,
                    SplitSpecSuiteDifferentialTest::instrument,
                    wasm -> instrumentAndSplit(wasm, split, added));
              }
            });

    System.out.printf(
        "split spec suite (%s, threshold %d B): %d files, %d modules, %d assertions, %d module"
            + " assertions; %d functions split into %d added functions; %d commands skipped%n",
        mode,
        THRESHOLD,
        files.get(),
        tally.modules,
        tally.assertions,
        tally.moduleAssertions,
        split.get(),
        added.get(),
        tally.skippedCommands);
    tally.divergences.forEach(d -> System.out.printf("  DIVERGENCE: %s%n", d));
    assertThat(tally.divergences).as("split differs from unsplit").isEmpty();
    assertThat(files.get()).isGreaterThan(20);
    assertThat(split.get()).isGreaterThan(200);
    assertThat(tally.assertions).isGreaterThan(2_000);
  }

  private static WasmModule instrument(byte[] wasm) {
    return FuelInstrumenter.instrument(wasm).module();
  }

  private static WasmModule instrumentAndSplit(
      byte[] wasm, AtomicInteger split, AtomicInteger added) {
    var instrumented = FuelInstrumenter.instrument(wasm);
    var result = FunctionSplitter.split(instrumented.bytes(), instrumented.module(), THRESHOLD);
    split.addAndGet(result.report().functionsSplit());
    added.addAndGet(result.report().functionsAdded());
    return result.module();
  }
}
