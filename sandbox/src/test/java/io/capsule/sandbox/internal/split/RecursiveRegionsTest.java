package io.capsule.sandbox.internal.split;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.OpCode;
import io.capsule.sandbox.WatAssembler;
import io.capsule.sandbox.internal.meter.ExecutionMode;
import io.capsule.sandbox.internal.meter.FuelInstrumenter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Regions that hand back several locals of four types around a recursive call of their own function
 * (directly, and through a second function): the moved function is entered again before the outer
 * call has handed its locals back, so nothing it hands back may live anywhere shared between the
 * calls. Also regions moved out inside regions moved out later, and a module with globals of its
 * own that the regions read and write.
 */
class RecursiveRegionsTest {
  private static final String MODULE =
      """
      (module
        (global $g (mut i32) (i32.const 7))
        (global $h (mut i64) (i64.const 3))
        (func $rec (export "rec") (param $n i32) (result i64)
          (local $a i32) (local $b i64) (local $c f64) (local $d f32) (local $r i64)
          (local.set $a (i32.add (local.get $n) (global.get $g)))
          (local.set $b (i64.extend_i32_u (local.get $n)))
          (local.set $c (f64.convert_i32_u (local.get $n)))
          (local.set $d (f32.const 0.5))
          (if (i32.gt_u (local.get $n) (i32.const 0))
            (then
              (local.set $r
                (i64.rem_u (call $rec (i32.sub (local.get $n) (i32.const 1))) (i64.const 100003)))
              (local.set $a (i32.add (local.get $a) (i32.wrap_i64 (local.get $r))))
              (local.set $b (i64.mul (local.get $b) (i64.add (local.get $r) (i64.const 3))))
              (local.set $c (f64.add (local.get $c) (f64.convert_i64_s (local.get $r))))
              (local.set $d (f32.add (local.get $d) (f32.convert_i32_s (i32.and (local.get $a) (i32.const 255)))))
              (global.set $g (i32.xor (global.get $g) (local.get $a)))
              (global.set $h (i64.add (global.get $h) (i64.rem_u (local.get $b) (i64.const 1000))))))
          (i64.add
            (i64.add (i64.extend_i32_u (local.get $a)) (i64.rem_u (local.get $b) (i64.const 1000003)))
            (i64.add (i64.trunc_f64_s (f64.div (local.get $c) (f64.const 7)))
              (i64.add (i64.trunc_f32_s (local.get $d)) (global.get $h)))))

        (func $ping (export "ping") (param $n i32) (result i32)
          (local $x i32) (local $y i32)
          (local.set $x (i32.mul (local.get $n) (i32.const 3)))
          (local.set $y (i32.add (local.get $n) (global.get $g)))
          (block $done
            (br_if $done (i32.eqz (local.get $n)))
            (local.set $x (i32.add (local.get $x) (call $pong (i32.sub (local.get $n) (i32.const 1)))))
            (local.set $y (i32.xor (local.get $y) (local.get $x)))
            (global.set $g (i32.add (global.get $g) (i32.const 1))))
          (i32.add (local.get $x) (local.get $y)))

        (func $pong (param $n i32) (result i32)
          (local $z i32)
          (local.set $z (call $ping (local.get $n)))
          (if (result i32) (i32.and (local.get $z) (i32.const 1))
            (then (i32.add (local.get $z) (local.get $n)))
            (else (i32.sub (local.get $z) (local.get $n))))))
      """;

  private static final int[] THRESHOLDS = {24, 32, 48, 64, 96, 128};

  @ParameterizedTest
  @EnumSource(ExecutionMode.class)
  void localsWrittenBackAroundRecursionArriveUnchanged(ExecutionMode mode) {
    var instrumented = FuelInstrumenter.instrument(WatAssembler.assemble(MODULE));
    for (int threshold : THRESHOLDS) {
      var split = FunctionSplitter.split(instrumented.bytes(), instrumented.module(), threshold);
      assertThat(split.report().functionsSplit()).as("threshold %d", threshold).isPositive();
      for (String function : List.of("rec", "ping")) {
        for (long n : new long[] {0, 1, 2, 7, 40}) {
          SplitRun before = SplitRun.of(instrumented.module(), mode, function, List.of(), n);
          SplitRun after = SplitRun.of(split.module(), mode, function, List.of(), n);
          assertThat(after).as("%s(%d) at threshold %d", function, n, threshold).isEqualTo(before);
        }
      }
    }
  }

  @Test
  void regionsMovedOutNestInsideRegionsMovedOutLater() {
    var instrumented = FuelInstrumenter.instrument(WatAssembler.assemble(MODULE));
    WasmModule split =
        FunctionSplitter.split(instrumented.bytes(), instrumented.module(), 48).module();
    int first = firstAdded(split);
    boolean nested = false;
    for (int f = first; f < functionCount(split); f++) {
      var body = split.codeSection().getFunctionBody(f - imports(split));
      nested |=
          body.instructions().stream()
              .anyMatch(i -> i.opcode() == OpCode.CALL && i.operand(0) >= first);
    }
    assertThat(nested).as("an added function calls another added function").isTrue();
  }

  private static int firstAdded(WasmModule module) {
    for (int f = 0; f < functionCount(module); f++) {
      if (FunctionSplitter.isAdded(module, f)) {
        return f;
      }
    }
    throw new AssertionError("nothing was split");
  }

  private static int imports(WasmModule module) {
    return module.importSection().count(com.dylibso.chicory.wasm.types.ExternalType.FUNCTION);
  }

  private static int functionCount(WasmModule module) {
    return imports(module) + module.functionSection().functionCount();
  }
}
