package io.capsule.sandbox.internal.split;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.sandbox.WatAssembler;
import io.capsule.sandbox.internal.meter.ExecutionMode;
import io.capsule.sandbox.internal.meter.FuelInstrumenter;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Regions whose branches leave to labels that carry values: a {@code block} with results, a {@code
 * loop} with parameters, a {@code br_table} whose targets carry values, several values of mixed
 * types. The values travel back in the moved function's results and the glue branches on with them.
 * The shape Asyncify gives a function (its whole body inside one {@code block (result i32)} that
 * every call site may leave with a call index) has no other regions, so it must split: before
 * regions with such exits could move, it stayed whole.
 */
class ValueExitsTest {
  private static final String MODULE =
      """
      (module
        (func (export "asyncShaped") (param $n i32) (result i32)
          (local $i i32) (local $acc i32) (local $idx i32)
          (local.set $idx
            (block $unwind (result i32)
              (loop $l
                (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $i) (i32.const 3))))
                (drop (br_if $unwind (i32.const 1) (i32.gt_u (local.get $acc) (i32.const 50000))))
                (local.set $acc (i32.xor (local.get $acc) (local.get $i)))
                (drop (br_if $unwind (i32.const 2) (i32.eq (local.get $acc) (i32.const 77))))
                (local.set $acc (i32.add (local.get $acc) (i32.rotl (local.get $i) (i32.const 5))))
                (drop (br_if $unwind (i32.const 3)
                  (i32.eq (i32.and (local.get $acc) (i32.const 1023)) (i32.const 99))))
                (local.set $acc (i32.sub (local.get $acc) (i32.shr_u (local.get $acc) (i32.const 3))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
              (return (local.get $acc))))
          (i32.add (i32.mul (local.get $idx) (i32.const 1000000)) (local.get $acc)))

        (func (export "nested") (param $n i32) (result i32)
          (local $i i32) (local $acc i32)
          (loop $l
            (local.set $acc
              (i32.add (local.get $acc)
                (block $out (result i32)
                  (i32.add (i32.const 1000)
                    (block $mid (result i32)
                      (drop (br_if $out (i32.const 100)
                        (i32.eqz (i32.rem_u (local.get $i) (i32.const 3)))))
                      (drop (br_if $mid (i32.mul (local.get $i) (i32.const 7))
                        (i32.and (local.get $i) (i32.const 1))))
                      (local.set $acc (i32.add (local.get $acc) (i32.const 13)))
                      (i32.const 5))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
          (local.get $acc))

        (func (export "mixed") (param $n i32) (result i64)
          (local $i i32) (local $sum i64) (local $a i64) (local $b f64) (local $c i32) (local $f f32)
          (loop $l
            (block $m (result i64 f64 i32 f32)
              (i64.const 7) (f64.const 0.5) (i32.const 3) (f32.const 1.25)
              (br_if $m (i32.eq (i32.rem_u (local.get $i) (i32.const 4)) (i32.const 1)))
              (drop) (drop) (drop) (drop)
              (i64.mul (i64.extend_i32_u (local.get $i)) (i64.const 11))
              (f64.convert_i32_u (local.get $i))
              (i32.mul (local.get $i) (local.get $i))
              (f32.convert_i32_s (i32.sub (i32.const 0) (local.get $i)))
              (br_if $m (i32.and (local.get $i) (i32.const 2)))
              (drop) (drop) (drop) (drop)
              (i64.const -1) (f64.const -2.5) (i32.const -3) (f32.const -4.5))
            (local.set $f) (local.set $c) (local.set $b) (local.set $a)
            (local.set $sum
              (i64.add (local.get $sum)
                (i64.add (local.get $a)
                  (i64.add (i64.trunc_f64_s (local.get $b))
                    (i64.add (i64.extend_i32_s (local.get $c))
                      (i64.trunc_f32_s (local.get $f)))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
          (local.get $sum))

        (func (export "loopParams") (param $n i32) (result i64)
          (local $k i32) (local $x i64)
          (i32.const 0) (i64.const 1)
          (loop $l (param i32 i64) (result i64)
            (local.set $x) (local.set $k)
            (if (i32.lt_u (local.get $k) (local.get $n))
              (then
                (local.set $x (i64.add (local.get $x) (i64.mul (local.get $x) (i64.const 3))))
                (local.set $x (i64.rem_u (local.get $x) (i64.const 1000003)))
                (br $l (i32.add (local.get $k) (i32.const 1)) (local.get $x))))
            (local.get $x)))

        (func (export "table") (param $n i32) (result i32)
          (local $i i32) (local $acc i32)
          (loop $l
            (local.set $acc
              (i32.add (local.get $acc)
                (block $a (result i32)
                  (i32.mul (i32.const 10)
                    (block $b (result i32)
                      (i32.add (i32.const 2)
                        (block $c (result i32)
                          (local.set $acc (i32.add (local.get $acc) (i32.const 1)))
                          (br_table $a $b $c $a
                            (i32.add (local.get $i) (i32.const 40))
                            (i32.rem_u (local.get $i) (i32.const 5))))))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
          (local.get $acc))

        (func (export "returns") (param $n i32) (result i32 i64)
          (local $i i32)
          (block $found (result i32)
            (loop $l
              (drop (br_if $found (local.get $i)
                (i32.eq (i32.mul (local.get $i) (local.get $i)) (local.get $n))))
              (if (i32.gt_u (local.get $i) (local.get $n))
                (then (return (i32.const -1) (i64.extend_i32_u (local.get $i)))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $l))
            (unreachable))
          (i64.const 42)))
      """;

  private static final List<String> FUNCTIONS =
      List.of("asyncShaped", "nested", "mixed", "loopParams", "table", "returns");

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void valuesCarriedOutOfMovedRegionsArriveUnchanged(ExecutionMode mode) {
    var instrumented = FuelInstrumenter.instrument(WatAssembler.assemble(MODULE));
    for (int threshold : new int[] {16, 24, 40, 64, 96}) {
      var split = FunctionSplitter.split(instrumented.bytes(), instrumented.module(), threshold);
      assertThat(split.report().functionsSplit()).as("threshold %d", threshold).isPositive();
      for (String function : FUNCTIONS) {
        for (long n : new long[] {0, 1, 2, 5, 9, 49, 400}) {
          SplitRun before = SplitRun.of(instrumented.module(), mode, function, List.of(), n);
          SplitRun after = SplitRun.of(split.module(), mode, function, List.of(), n);
          assertThat(after).as("%s(%d) at threshold %d", function, n, threshold).isEqualTo(before);
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void aFunctionShapedByAsyncifySplitsUnderTheThreshold(ExecutionMode mode) {
    var instrumented = FuelInstrumenter.instrument(WatAssembler.assemble(MODULE));
    int threshold = 100;

    var split = FunctionSplitter.split(instrumented.bytes(), instrumented.module(), threshold);

    assertThat(split.report().leftLarge()).isEmpty();
    assertThat(split.report().functionsAdded()).isGreaterThan(split.report().functionsSplit());
    for (long n : new long[] {3, 500, 20_000}) {
      assertThat(SplitRun.of(split.module(), mode, "asyncShaped", List.of(), n))
          .isEqualTo(SplitRun.of(instrumented.module(), mode, "asyncShaped", List.of(), n));
    }
  }
}
