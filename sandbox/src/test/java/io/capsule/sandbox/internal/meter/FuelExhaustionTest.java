package io.capsule.sandbox.internal.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capsule.protocol.FuelExhaustedException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class FuelExhaustionTest {
  /** Small enough that recursion runs out of fuel before the interpreter runs out of stack. */
  private static final long BUDGET = 300;

  private static final long CHUNK = 100;

  /** Endless guests, one per way of looping. */
  enum Spin {
    BR("(func (export \"run\") (loop $l (br $l)))"),
    BR_IF("(func (export \"run\") (loop $l (br_if $l (i32.const 1))))"),
    BR_TABLE("(func (export \"run\") (loop $l (br_table $l $l (i32.const 0))))"),
    RECURSION("(func $r (export \"run\") (call $r))"),
    CALL_INDIRECT_RECURSION(
        "(type $t (func)) (table 1 funcref) (elem (i32.const 0) $r)"
            + " (func $r (export \"run\") (call_indirect (type $t) (i32.const 0)))"),
    MUTUAL_RECURSION("(func $a (export \"run\") (call $b)) (func $b (call $a))"),
    LOOP_CALLING_A_FUNCTION_THAT_CHECKS(
        "(func $leaf) (func $caller (call $leaf))"
            + " (func (export \"run\") (loop $l (call $caller) (br $l)))"),
    LOOP_CALLING_A_FUNCTION_THAT_SKIPS_ITS_LOOP(
        "(func $f (param i32) (block (br_if 0 (local.get 0)) (loop $l (br $l))))"
            + " (func (export \"run\") (loop $l (call $f (i32.const 1)) (br $l)))"),
    RECURSION_RETURNING_ITS_COUNT_PACKED(
        "(func $p (param i32) (result i32) (i32.add (call $p (local.get 0)) (i32.const 1)))"
            + " (func (export \"run\") (drop (call $p (i32.const 1))))"),
    LOOP_CALLING_A_LEAF_THAT_RETURNS_ITS_COUNT_PACKED(
        "(func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))"
            + " (func (export \"run\") (local i32)"
            + " (loop $l (local.set 0 (call $leaf (local.get 0))) (br $l)))"),
    LOOP_CALLING_A_LEAF_THAT_RETURNS_ITS_COUNT_ALONE(
        "(global $g (mut i32) (i32.const 0))"
            + " (func $leaf (global.set $g (i32.add (global.get $g) (i32.const 1))))"
            + " (func (export \"run\") (loop $l (call $leaf) (br $l)))");

    final String wat;

    Spin(String body) {
      this.wat = "(module " + body + ")";
    }
  }

  static Stream<Arguments> spinsInEveryMode() {
    var cases = new ArrayList<Arguments>();
    for (Spin spin : Spin.values()) {
      for (ExecutionMode mode : ExecutionMode.values()) {
        cases.add(Arguments.of(spin, mode));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("spinsInEveryMode")
  void everyLoopShapeRunsOutOfFuel(Spin spin, ExecutionMode mode) {
    var metered = FuelInstrumenter.instrument(WatModules.binary(spin.wat));
    var meter = new FuelMeter(BUDGET, CHUNK);

    assertThatThrownBy(() -> Guest.metered(metered, mode, meter, "run", List.of()))
        .isInstanceOf(FuelExhaustedException.class);
    assertThat(meter.exhausted(0)).isTrue();
    assertThat(meter.consumed(0)).isEqualTo(BUDGET);
  }
}
