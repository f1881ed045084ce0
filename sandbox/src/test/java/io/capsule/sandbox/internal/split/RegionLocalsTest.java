package io.capsule.sandbox.internal.split;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.sandbox.WatAssembler;
import io.capsule.sandbox.internal.meter.ExecutionMode;
import io.capsule.sandbox.internal.meter.FuelInstrumenter;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The locals a moved region keeps to itself must be ones whose value cannot come from before the
 * region. Each function here has a local that only the loop body uses, but whose value crosses from
 * one iteration to the next, or from the function's start, or is read on one arm of an {@code if}
 * after being written only on the other: splitting them small must not lose that value.
 */
class RegionLocalsTest {
  private static final String MODULE =
      """
      (module
        (func (export "carried") (param $n i32) (result i32)
          (local $acc i32) (local $i i32) (local $t i32)
          (loop $l
            (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $t) (i32.const 7))))
            (local.set $t (i32.add (local.get $i) (i32.const 3)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
          (local.get $acc))
        (func (export "arms") (param $n i32) (result i32)
          (local $acc i32) (local $i i32) (local $t i32)
          (loop $l
            (if (i32.and (local.get $i) (i32.const 1))
              (then (local.set $t (i32.add (local.get $i) (i32.const 11))))
              (else (local.set $acc (i32.add (local.get $acc) (local.get $t)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
          (local.get $acc))
        (func (export "scratch") (param $n i32) (result i32)
          (local $acc i32) (local $i i32) (local $t i32)
          (loop $l
            (local.set $t (i32.mul (local.get $i) (local.get $i)))
            (local.set $acc (i32.add (local.get $acc) (i32.xor (local.get $t) (i32.const 5))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
          (local.get $acc)))
      """;

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void splitFunctionsKeepValuesThatCrossTheRegionBoundary(ExecutionMode mode) {
    var instrumented = FuelInstrumenter.instrument(WatAssembler.assemble(MODULE));
    for (int threshold : new int[] {16, 32, 64}) {
      var split = FunctionSplitter.split(instrumented.bytes(), instrumented.module(), threshold);
      assertThat(split.report().functionsSplit()).isEqualTo(3);
      for (String function : List.of("carried", "arms", "scratch")) {
        for (long n : new long[] {1, 2, 9}) {
          SplitRun before = SplitRun.of(instrumented.module(), mode, function, List.of(), n);
          SplitRun after = SplitRun.of(split.module(), mode, function, List.of(), n);
          assertThat(after).as("%s(%d) at threshold %d", function, n, threshold).isEqualTo(before);
        }
      }
    }
  }
}
