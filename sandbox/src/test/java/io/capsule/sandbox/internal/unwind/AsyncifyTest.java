package io.capsule.sandbox.internal.unwind;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.TrapException;
import com.dylibso.chicory.wasm.Parser;
import io.capsule.sandbox.WatAssembler;
import io.capsule.sandbox.internal.meter.ExecutionMode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The pass against real modules: a program unwound at any one of its import calls, copied into a
 * fresh instance and rewound there, ends with the results and memory of the run never interrupted
 * (recursion, loops, a {@code br_table} dispatch, nested blocks and ifs with results, values under
 * calls, {@code call_indirect}, i64/f64 locals), in both execution modes; the buffer never
 * overflows; what the pass does not model is refused by name.
 */
class AsyncifyTest {
  /** Defined functions: 0 rec, 1 twice, 2 inc, 3 pick, 4 run, 5 spin, 6 leaf. */
  private static final String PROGRAM =
      """
      (module
        (import "env" "input" (func $input (param i32) (result i32)))
        (memory (export "memory") 2)
        (global $g (mut i32) (i32.const 7))
        (type $un (func (param i32) (result i32)))
        (table 3 funcref)
        (elem (i32.const 0) $twice $inc $leaf)
        (func $rec (param $n i32) (result i32)
          (if (result i32) (i32.le_s (local.get $n) (i32.const 1))
            (then (call $input (local.get $n)))
            (else
              (i32.add
                (call $rec (i32.sub (local.get $n) (i32.const 1)))
                (i32.mul (local.get $n) (call $rec (i32.sub (local.get $n) (i32.const 2))))))))
        (func $twice (param i32) (result i32)
          (i32.mul (call $input (local.get 0)) (i32.const 2)))
        (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
        (func $pick (param $x i32) (result i32)
          (local $t i64)
          (local.set $t (i64.const 0x100000001))
          (block $out (result i32)
            (i32.const 100)
            (br_if $out (i32.gt_u (call $input (local.get $x)) (i32.const 900)))
            (drop)
            (if (result i32) (i32.and (call $input (i32.const 4)) (i32.const 1))
              (then (call $input (i32.const 5)))
              (else (i32.wrap_i64 (i64.shr_u (local.get $t) (i64.const 32)))))
            (local.get $x)
            (select (call $input (i32.const 6)) (i32.const 3) (local.get $x))
            (i32.add)
            (i32.add)))
        (func $run (export "run") (param $k i32) (result i64)
          (local $i i32) (local $acc i64) (local $f f64)
          (local.set $f (f64.const 0.5))
          (block $done
            (loop $top
              (br_if $done (i32.ge_u (local.get $i) (local.get $k)))
              (block $c3 (block $c2 (block $c1 (block $c0
                (br_table $c0 $c1 $c2 $c3 (i32.rem_u (local.get $i) (i32.const 4))))
                (local.set $acc
                  (i64.add (local.get $acc) (i64.extend_i32_u (call $rec (i32.const 4)))))
                (br $c3))
                (local.set $f
                  (f64.add (local.get $f)
                    (f64.convert_i32_s
                      (call_indirect (type $un) (local.get $i)
                        (i32.rem_u (local.get $i) (i32.const 3))))))
                (br $c3))
                (global.set $g (i32.add (global.get $g) (call $pick (local.get $i)))))
              (i32.store
                (i32.mul (local.get $i) (i32.const 4))
                (i32.add (local.get $i) (call $input (local.get $i))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $top)))
          (i64.store (i32.const 4000) (i64.extend_i32_u (global.get $g)))
          (i64.add (local.get $acc) (i64.trunc_f64_s (f64.mul (local.get $f) (f64.const 3.25)))))
        (func $spin (export "spin") (param $n i32) (result i32)
          (local $s i32)
          (loop $again
            (local.set $s
              (i32.add (local.get $s) (call $leaf (local.get $n))))
            (br_if $again
              (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
          (local.get $s))
        (func $leaf (param i32) (result i32)
          (if (i32.eqz (local.get 0)) (then (unreachable)))
          (call $input (local.get 0))
          (return)
          (drop (call $input (i32.const 99)))))
      """;

  private static final List<Integer> STACK = List.of(0, 1, 3, 4, 5, 6);

  record Case(String name, String export, long[] params) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> cases() {
    var cases = new ArrayList<Arguments>();
    for (ExecutionMode mode : ExecutionMode.values()) {
      cases.add(Arguments.of(new Case("run(9)", "run", new long[] {9}), mode));
      cases.add(Arguments.of(new Case("spin(6)", "spin", new long[] {6}), mode));
    }
    return cases.stream();
  }

  private static final byte[] ORIGINAL = WatAssembler.assemble(PROGRAM);
  private static final byte[] RESUMABLE = Asyncify.instrument(ORIGINAL, STACK, "env", "input");

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void runsAsBeforeWhenNeverUnwound(Case c, ExecutionMode mode) {
    var before = Resumption.straight(ORIGINAL, mode, c.export(), c.params());
    var after = Resumption.straight(RESUMABLE, mode, c.export(), c.params());

    assertThat(before.args()).hasSizeGreaterThan(5);
    assertThat(after).isEqualTo(before);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void resumedAtEveryImportCallEndsAsTheUninterruptedRun(Case c, ExecutionMode mode) {
    var straight = Resumption.straight(ORIGINAL, mode, c.export(), c.params());
    int calls = straight.args().size();
    for (int n = 1; n <= calls; n++) {
      var resumed = Resumption.resumed(RESUMABLE, mode, n, 4096, c.export(), c.params());

      assertThat(resumed.rewoundToImport()).as("rewound to call %d", n).isTrue();
      assertThat(resumed.outcome()).as("unwound at call %d of %d", n, calls).isEqualTo(straight);
      assertThat(resumed.currentAfter()).as("buffer popped back").isEqualTo(Resumption.DATA + 8);
    }
  }

  @Test
  void aBufferTooSmallTrapsWithoutWritingPastItsEnd() {
    // run(9) unwinds from rec, pick and run: more than 16 bytes of frames
    int end = Resumption.DATA + 8 + 16;
    assertThatThrownBy(
            () ->
                Resumption.resumed(
                    RESUMABLE, ExecutionMode.INTERPRETER, 1, 16, "run", new long[] {9}))
        .isInstanceOf(TrapException.class);
    var probe =
        Resumption.instance(
            RESUMABLE,
            ExecutionMode.INTERPRETER,
            (inst, a) -> {
              inst.memory().write(end, new byte[64]);
              inst.memory().writeByte(end, (byte) 0x5A);
              inst.memory().writeI32(Resumption.DATA, Resumption.DATA + 8);
              inst.memory().writeI32(Resumption.DATA + 4, end);
              inst.export("asyncify_start_unwind").apply(Resumption.DATA);
              return new long[] {0};
            });
    assertThatThrownBy(() -> probe.export("run").apply(9))
        .isInstanceOf(TrapException.class)
        .hasMessageContaining("unreachable");
    assertThat(probe.memory().read(end)).isEqualTo((byte) 0x5A);
    assertThat(probe.memory().readBytes(end + 1, 63)).containsOnly(0);
    assertThat(probe.memory().readInt(Resumption.DATA)).isLessThanOrEqualTo(end);
  }

  @Test
  void aRewindFromABufferWithoutFramesTrapsInsteadOfReadingBelowIt() {
    var instance = Resumption.instance(RESUMABLE, ExecutionMode.INTERPRETER, (inst, a) -> a);
    instance.memory().writeI32(Resumption.DATA, Resumption.DATA + 8); // no frame pushed
    instance.memory().writeI32(Resumption.DATA + 4, Resumption.DATA + 4096);
    instance.export("asyncify_start_rewind").apply(Resumption.DATA);

    assertThatThrownBy(() -> instance.export("run").apply(9))
        .isInstanceOf(TrapException.class)
        .hasMessageContaining("unreachable");
    assertThat(instance.memory().readInt(Resumption.DATA)).isEqualTo(Resumption.DATA + 8);
  }

  @Test
  void functionsOutsideTheSetKeepTheirCode() {
    var before = Parser.parse(ORIGINAL).codeSection().getFunctionBody(2);
    var after = Parser.parse(RESUMABLE).codeSection().getFunctionBody(2);

    assertThat(after.instructions().stream().map(i -> i.opcode()).toList())
        .isEqualTo(before.instructions().stream().map(i -> i.opcode()).toList());
    assertThat(Parser.parse(RESUMABLE).functionSection().functionCount())
        .isEqualTo(Parser.parse(ORIGINAL).functionSection().functionCount() + 5);
  }

  @Test
  void aBlockWithParametersAroundACallIsRefused() {
    byte[] wasm =
        WatAssembler.assemble(
            """
            (module
              (import "env" "input" (func $input (param i32) (result i32)))
              (memory 1)
              (func (param i32) (result i32)
                (local.get 0)
                (block (param i32) (result i32) (call $input))))
            """);

    assertThatThrownBy(() -> Asyncify.instrument(wasm, List.of(0), "env", "input"))
        .isInstanceOf(AsyncifyRefusedException.class)
        .hasMessageContaining("function 1")
        .hasMessageContaining("parameters");
  }

  @Test
  void aReferenceLocalIsRefused() {
    byte[] wasm =
        WatAssembler.assemble(
            """
            (module
              (import "env" "input" (func $input (param i32) (result i32)))
              (memory 1)
              (func (local funcref) (drop (call $input (i32.const 1)))))
            """);

    assertThatThrownBy(() -> Asyncify.instrument(wasm, List.of(0), "env", "input"))
        .isInstanceOf(AsyncifyRefusedException.class)
        .hasMessageContaining("non-numeric");
  }

  @Test
  void aModuleWithoutTheImportIsRefused() {
    byte[] wasm = WatAssembler.assemble("(module (memory 1) (func))");

    assertThatThrownBy(() -> Asyncify.instrument(wasm, List.of(0), "env", "input"))
        .isInstanceOf(AsyncifyRefusedException.class)
        .hasMessageContaining("env.input");
  }
}
