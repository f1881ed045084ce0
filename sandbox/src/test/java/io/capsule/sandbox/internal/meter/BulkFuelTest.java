package io.capsule.sandbox.internal.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.wasm.types.OpCode;
import io.capsule.protocol.Compute;
import io.capsule.protocol.FuelExhaustedException;
import io.capsule.protocol.InvalidModuleException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Bulk operators pay for their length, so a loop of them cannot outrun its budget. */
class BulkFuelTest {
  private static final long LOW = Compute.parse("LOW").fuel();
  private static final long SMALL = 10_000_000;

  /**
   * One bulk operator of known length, and what the whole function costs: its other operators
   * (consts, {@code ref.null}) cost 1 each, the bulk operator 1 plus its length at the unit cost of
   * {@link CostModel} (8 per table element, 128 per segment element, 1 per byte, 1,024 per page).
   */
  enum SingleOp {
    TABLE_FILL(
        "(table 1000 funcref)",
        "(table.fill (i32.const 0) (ref.null func) (i32.const 1000))",
        3 + 1 + 1000 * 8),
    TABLE_COPY(
        "(table 1000 funcref)",
        "(table.copy (i32.const 1) (i32.const 0) (i32.const 500))",
        3 + 1 + 500 * 8),
    TABLE_INIT(
        "(table 10 funcref) (elem $e func $f $f $f $f $f $f $f $f) (func $f)",
        "(table.init $e (i32.const 2) (i32.const 1) (i32.const 7))",
        3 + 1 + 7 * 128),
    TABLE_GROW(
        "(table 10 funcref)",
        "(drop (table.grow (ref.null func) (i32.const 5)))",
        2 + 1 + (5 + 10) * 8),
    MEMORY_INIT(
        "(memory 1) (data $d \"0123456789abcdefghij\")",
        "(memory.init $d (i32.const 64) (i32.const 0) (i32.const 20))",
        3 + 1 + 20),
    MEMORY_GROW("(memory 1)", "(drop (memory.grow (i32.const 3)))", 1 + 1 + 3 * 1_024),
    REFUSED_MEMORY_GROW(
        "(memory 1 2)", "(drop (memory.grow (i32.const 100)))", 1 + 1 + 100 * 1_024),
    MEMORY_FILL(
        "(memory 1)", "(memory.fill (i32.const 0) (i32.const 7) (i32.const 4096))", 3 + 1 + 4096);

    final String wat;
    final long fuel;

    SingleOp(String declarations, String body, long fuel) {
      this.wat = "(module " + declarations + " (func (export \"run\") " + body + "))";
      this.fuel = fuel;
    }
  }

  static Stream<Arguments> singleOpsInEveryMode() {
    return cases(SingleOp.values());
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("singleOpsInEveryMode")
  void aBulkOperatorCostsItsLengthExactly(SingleOp op, ExecutionMode mode) {
    var metered = FuelInstrumenter.instrument(WatModules.binary(op.wat));

    Guest.Run run = Guest.metered(metered, mode, new FuelMeter(LOW), "run", List.of());

    assertThat(run.fuel()).isEqualTo(op.fuel);
    assertThat(Guest.reference(WatModules.binary(op.wat), "run", List.of()).fuel())
        .isEqualTo(op.fuel);
  }

  /**
   * Loops of bulk operators that each ask the host for 10⁸–10⁹ element or byte writes while
   * executing a few thousand operators: without the length charge each finishes well inside its
   * budget (LOW for the 10⁹ {@code table.fill} writes of issue 11, 10 M fuel for the others, to
   * keep the test short).
   */
  enum Attack {
    TABLE_FILL_10_TO_THE_9(
        "(table 1000000 funcref)",
        "(table.fill (i32.const 0) (ref.null func) (i32.const 1000000))",
        1_000,
        LOW),
    TABLE_COPY(
        "(table 1000000 funcref)",
        "(table.copy (i32.const 0) (i32.const 0) (i32.const 1000000))",
        300,
        SMALL),
    TABLE_INIT(
        "(table 1000 funcref) (elem $e func " + "$f ".repeat(1_000) + ") (func $f)",
        "(table.init $e (i32.const 0) (i32.const 0) (i32.const 1000))",
        200_000,
        SMALL),
    TABLE_GROW_BY_ZERO(
        "(table 1000000 funcref)", "(drop (table.grow (ref.null func) (i32.const 0)))", 300, SMALL),
    MEMORY_INIT(
        "(memory 1) (data $d \"" + "x".repeat(4_096) + "\")",
        "(memory.init $d (i32.const 0) (i32.const 0) (i32.const 4096))",
        50_000,
        SMALL);

    final String wat;
    final long budget;

    Attack(String declarations, String op, int iterations, long budget) {
      this.budget = budget;
      this.wat =
          "(module "
              + declarations
              + " (func (export \"run\") (local $i i32) (loop $l "
              + op
              + " (local.set $i (i32.add (local.get $i) (i32.const 1)))"
              + " (br_if $l (i32.lt_u (local.get $i) (i32.const "
              + iterations
              + "))))))";
    }
  }

  static Stream<Arguments> attacksInEveryMode() {
    return cases(Attack.values());
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("attacksInEveryMode")
  void aLoopOfBulkOperatorsRunsOutOfFuelAtLow(Attack attack, ExecutionMode mode) {
    var metered = FuelInstrumenter.instrument(WatModules.binary(attack.wat));
    var meter = new FuelMeter(attack.budget);

    assertThatThrownBy(() -> Guest.metered(metered, mode, meter, "run", List.of()))
        .isInstanceOf(FuelExhaustedException.class);
    assertThat(meter.consumed(0)).isEqualTo(attack.budget);
  }

  @ParameterizedTest
  @EnumSource(
      value = OpCode.class,
      names = {"ARRAY_NEW_DEFAULT", "ARRAY_FILL", "ARRAY_COPY", "ARRAY_INIT_DATA"})
  void anOperatorTheModelCannotPriceIsRefused(OpCode op) {
    assertThatThrownBy(() -> CostModel.requirePriced(op))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining(op.name().toLowerCase(Locale.ROOT).replaceFirst("_", "."));
  }

  /**
   * {@code (type $a (array (mut i64))) (func (export "run") (drop (array.new_default $a (i32.const
   * 50000000))))}, assembled by hand (the test's WAT assembler has no GC types): 400 MB for 9 fuel.
   */
  private static final String ARRAY_BOMB =
      "0061736d010000000107025e7e01600000030201010707010372756e00000a0d010b004180e1eb17fb07001a0b";

  @Test
  void aModuleAllocatingAnArrayIsRefusedWhetherOrNotAValidatorLetItThrough() {
    byte[] wasm = HexFormat.of().parseHex(ARRAY_BOMB);

    assertThatThrownBy(() -> FuelInstrumenter.instrument(wasm))
        .isInstanceOf(InvalidModuleException.class)
        .hasMessageContaining("array.new_default");
  }

  /**
   * Fail closed: every operator whose name says it fills, copies, initialises, grows or allocates
   * either costs its operand or is refused — none slips through at the price of one.
   */
  @Test
  void everyBulkLookingOperatorIsPricedOrRefused() {
    var unit = new ArrayList<OpCode>();
    for (OpCode op : OpCode.values()) {
      boolean bulkName = op.name().matches("(.*_)?(FILL|COPY|INIT|GROW|NEW)(_.*)?");
      if (bulkName && !CostModel.chargesLength(op) && !refused(op)) {
        unit.add(op);
      }
    }
    assertThat(unit).containsExactlyInAnyOrder(OpCode.STRUCT_NEW, OpCode.STRUCT_NEW_DEFAULT);
  }

  private static boolean refused(OpCode op) {
    try {
      CostModel.requirePriced(op);
      return false;
    } catch (InvalidModuleException e) {
      return true;
    }
  }

  private static Stream<Arguments> cases(Enum<?>[] values) {
    var cases = new ArrayList<Arguments>();
    for (Enum<?> value : values) {
      for (ExecutionMode mode : ExecutionMode.values()) {
        cases.add(Arguments.of(value, mode));
      }
    }
    return cases.stream();
  }
}
