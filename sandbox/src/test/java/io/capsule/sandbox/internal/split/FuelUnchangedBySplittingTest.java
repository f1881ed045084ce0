package io.capsule.sandbox.internal.split;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.sandbox.internal.meter.ExecutionMode;
import io.capsule.sandbox.internal.meter.FuelInstrumenter;
import io.capsule.sandbox.testing.Corpus;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Splitting moves the fuel code with the code it meters and adds no metered code of its own: a
 * program split at a small threshold (so its loops, recursion and {@code br_table} dispatch are cut
 * into many functions) uses exactly the fuel it uses unsplit, and computes the same, in both
 * execution modes.
 */
class FuelUnchangedBySplittingTest {
  private static final int SMALL_THRESHOLD = 48;

  /** A module to run, how, and with which arguments. */
  record Program(String name, byte[] wasm, String entry, List<String> args, long[] params) {
    @Override
    public String toString() {
      return name;
    }

    static Program cpu(String name, String size) {
      return new Program(
          name, Corpus.resource("cpu/" + name + ".wasm"), "_start", List.of(size), new long[0]);
    }
  }

  static Stream<Arguments> programs() {
    var programs =
        List.of(
            Program.cpu("fib", "14"),
            Program.cpu("loop", "500"),
            Program.cpu("qsort", "200"),
            Program.cpu("matmul", "6"),
            Program.cpu("lz", "2000"),
            new Program("dispatch", HugeFunction.binary(40), "run", List.of(), new long[] {5_000}));
    var cases = new ArrayList<Arguments>();
    for (Program program : programs) {
      for (ExecutionMode mode : ExecutionMode.values()) {
        cases.add(Arguments.of(program, mode));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("programs")
  void splitProgramUsesTheSameFuelAndComputesTheSame(Program program, ExecutionMode mode) {
    var instrumented = FuelInstrumenter.instrument(program.wasm());
    var split =
        FunctionSplitter.split(instrumented.bytes(), instrumented.module(), SMALL_THRESHOLD);

    SplitRun before =
        SplitRun.of(instrumented.module(), mode, program.entry(), program.args(), program.params());
    SplitRun after =
        SplitRun.of(split.module(), mode, program.entry(), program.args(), program.params());

    System.out.printf(
        "%s (%s): %d functions split into %d added; fuel %d unsplit, %d split%n",
        program,
        mode,
        split.report().functionsSplit(),
        split.report().functionsAdded(),
        before.fuel(),
        after.fuel());
    assertThat(split.report().functionsSplit()).isPositive();
    assertThat(before.trap()).isNull();
    assertThat(before.fuel()).isPositive();
    assertThat(after).isEqualTo(before);
  }
}
