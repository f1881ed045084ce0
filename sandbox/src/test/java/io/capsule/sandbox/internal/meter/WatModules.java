package io.capsule.sandbox.internal.meter;

import io.capsule.sandbox.WatAssembler;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Hand-written test modules, in WebAssembly text, and their assembled binaries (cached). */
final class WatModules {
  /**
   * Control flow of every kind: loops left by br_if, br_table and return, if/else with results,
   * branches to the function label from nested blocks, calls between loop and loop-free functions.
   */
  static final String CONTROL =
      """
      (module
        (global $g (mut i32) (i32.const 0))
        (func $sum (param $n i32) (result i32)
          (local $i i32) (local $acc i32)
          (block $done
            (loop $next
              (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
              (local.set $acc
                (i32.add (local.get $acc)
                  (if (result i32) (i32.and (local.get $i) (i32.const 1))
                    (then (i32.mul (local.get $i) (i32.const 3)))
                    (else (nop) (i32.const 1)))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $next)))
          (local.get $acc))
        (func $classify (param $x i32) (result i32)
          (block $a
            (block $b
              (block $c
                (br_table $a $b $c (i32.rem_u (local.get $x) (i32.const 4))))
              (return (i32.const 30)))
            (return (i32.const 20)))
          (i32.const 10))
        (func $early (param $x i32) (result i32)
          (block $outer (result i32)
            (loop $l
              (br_if 2 (i32.const 99) (i32.gt_u (local.get $x) (i32.const 50)))
              (local.set $x (i32.add (local.get $x) (i32.const 7)))
              (br $l))
            (unreachable)))
        (func $countdown (param $x i32)
          (loop $l
            (global.set $g (i32.add (global.get $g) (i32.const 1)))
            (local.set $x (i32.sub (local.get $x) (i32.const 1)))
            (br_table $l 1 (i32.eqz (local.get $x)))))
        (func $find (param $n i32) (result i32)
          (local $i i32)
          (loop $l
            (if (i32.eq (i32.mul (local.get $i) (local.get $i)) (local.get $n))
              (then (return (local.get $i))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
          (i32.const -1))
        (func (export "run") (result i32)
          (local $i i32) (local $t i32)
          (loop $l
            (local.set $t (i32.add (local.get $t) (call $classify (local.get $i))))
            (local.set $t (i32.add (local.get $t) (call $early (local.get $i))))
            (call $countdown (i32.add (local.get $i) (i32.const 1)))
            (local.set $t (i32.add (local.get $t) (call $find (i32.mul (local.get $i) (local.get $i)))))
            (drop (select (i32.const 1) (i32.const 2) (local.get $i)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (i32.const 10))))
          (i32.add (i32.add (local.get $t) (global.get $g)) (call $sum (i32.const 100)))))
      """;

  /**
   * Everything that names a function by index: an import before the defined functions, a table
   * filled by an element segment and by ref.func, call_indirect (also recursive), a start function,
   * exports of functions and globals. run returns 5 + 42 + 120 + 7 + 18 = 192.
   */
  static final String RENUMBER =
      """
      (module
        (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
        (type $unary (func (param i32) (result i32)))
        (table 4 funcref)
        (elem (i32.const 0) $double $fact $yielding)
        (global $counter (mut i32) (i32.const 0))
        (global (export "answer") i32 (i32.const 42))
        (func $double (export "double") (param i32) (result i32)
          (i32.mul (local.get 0) (i32.const 2)))
        (func $fact (param $n i32) (result i32)
          (if (result i32) (i32.le_u (local.get $n) (i32.const 1))
            (then (i32.const 1))
            (else
              (i32.mul (local.get $n)
                (call_indirect (type $unary) (i32.sub (local.get $n) (i32.const 1)) (i32.const 1))))))
        (func $yielding (param i32) (result i32)
          (drop (call $yield))
          (local.get 0))
        (func $init
          (global.set $counter (i32.const 5)))
        (start $init)
        (func (export "run") (result i32)
          (table.set (i32.const 3) (ref.func $double))
          (i32.add (global.get $counter)
            (i32.add (call_indirect (type $unary) (i32.const 21) (i32.const 0))
              (i32.add (call_indirect (type $unary) (i32.const 5) (i32.const 1))
                (i32.add (call_indirect (type $unary) (i32.const 7) (i32.const 2))
                  (call_indirect (type $unary) (i32.const 9) (i32.const 3))))))))
      """;

  /**
   * memory.fill and memory.copy, whose length is charged, in a loop and in a loop-free function.
   */
  static final String BULK =
      """
      (module
        (memory 1)
        (func $copy (param $len i32)
          (memory.copy (i32.const 8192) (i32.const 0) (local.get $len)))
        (func (export "run") (result i32)
          (local $i i32)
          (loop $l
            (memory.fill (i32.const 0) (i32.add (local.get $i) (i32.const 1))
              (i32.mul (local.get $i) (i32.const 100)))
            (call $copy (i32.mul (local.get $i) (i32.const 37)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (i32.const 20))))
          (i32.load8_u (i32.const 8200))))
      """;

  /**
   * Every operator that costs an operand, with lengths that vary per iteration (zero included):
   * table.fill/copy/init, table.grow of two tables (one of them by zero), memory.init and
   * memory.grow up to a refused grow; one function counts in a local, the other in the global.
   */
  static final String TABLES =
      """
      (module
        (table $t 10 100 funcref)
        (table $u 5 funcref)
        (memory 1 4)
        (data $d "0123456789abcdef0123456789abcdef")
        (elem $e func $a $a $a $a $a $a $a $a)
        (func $a)
        (func $grow (param $n i32) (result i32)
          (drop (table.grow $t (ref.null func) (i32.const 0)))
          (memory.grow (i32.rem_u (local.get $n) (i32.const 2))))
        (func (export "run") (result i32)
          (local $i i32)
          (loop $l
            (table.fill $t (i32.const 0) (ref.func $a) (local.get $i))
            (table.copy $t $t (i32.const 1) (i32.const 0) (local.get $i))
            (table.init $t $e (i32.const 0) (i32.const 0) (i32.rem_u (local.get $i) (i32.const 8)))
            (drop (table.grow $u (ref.null func) (local.get $i)))
            (memory.init $d (i32.const 100) (i32.const 0) (i32.mul (local.get $i) (i32.const 3)))
            (drop (call $grow (local.get $i)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (i32.const 9))))
          (i32.add (table.size $u) (memory.size))))
      """;

  /**
   * Ends the run from deep inside a loop through WASI {@code proc_exit}: the fuel must still be
   * exact, though no frame returns.
   */
  static final String EXIT =
      """
      (module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (func $work (param $n i32) (result i32)
          (local $i i32)
          (loop $l
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (if (i32.eq (local.get $i) (i32.const 7))
              (then (call $exit (i32.const 0)) (local.set $i (i32.const 99))))
            (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
          (local.get $i))
        (func (export "run") (result i32)
          (local $k i32)
          (loop $l
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (drop (call $work (local.get $k)))
            (br $l))
          (unreachable)))
      """;

  /**
   * Functions only called directly, so they take the caller's count as a parameter, of every result
   * shape and way out: no result (returns the count alone) left by its end, a {@code return} in a
   * loop or a {@code br} to its label; one i32 result (returns the count packed beside it) left
   * likewise, from a leaf called a thousand times in one straight line and from mutual recursion;
   * an i32 result left by a {@code br_if} to the function label, an i64 result, a tail call and its
   * target (these hand the count back through the global). run returns 1,000 * 3 + 14 + 64 + 0 + 1
   * + 21 + 5 + 14 - 7 = 3,112.
   */
  static final String COUNT_RETURNS =
      """
      (module
        (global $g (mut i32) (i32.const 0))
        (func $leaf (param $x i32) (result i32)
          (i32.add (local.get $x) (i32.const 2)))
        (func $bump (param $n i32)
          (loop $l
            (global.set $g (i32.add (global.get $g) (i32.const 1)))
            (if (i32.ge_u (global.get $g) (local.get $n)) (then (return)))
            (br $l)))
        (func $skip (param $x i32)
          (block $b
            (br_if $b (local.get $x))
            (br 1))
          (global.set $g (i32.add (global.get $g) (i32.const 10))))
        (func $out (param $x i32) (result i32)
          (block $b
            (br_if $b (i32.eqz (local.get $x)))
            (br 1 (i32.const 64)))
          (i32.const 0))
        (func $even (param $n i32) (result i32)
          (if (result i32) (i32.eqz (local.get $n))
            (then (i32.const 1))
            (else (call $odd (i32.sub (local.get $n) (i32.const 1))))))
        (func $odd (param $n i32) (result i32)
          (if (result i32) (i32.eqz (local.get $n))
            (then (i32.const 0))
            (else (call $even (i32.sub (local.get $n) (i32.const 1))))))
        (func $exit_if (param $x i32) (result i32)
          (drop (br_if 0 (i32.const 21) (local.get $x)))
          (i32.const 22))
        (func $wide (param $x i64) (result i64)
          (loop $l
            (local.set $x (i64.sub (local.get $x) (i64.const 1)))
            (br_if $l (i64.gt_s (local.get $x) (i64.const 5))))
          (local.get $x))
        (func $twice (param $x i32) (result i32)
          (i32.shl (local.get $x) (i32.const 1)))
        (func $tail (param $x i32) (result i32)
          (return (call $twice (local.get $x))))
        (func (export "run") (result i32)
          (local $i i32) (local $t i32)
          (loop $l
            (local.set $t (i32.add (local.get $t)
              (i32.add (call $leaf (i32.const 1))
                (i32.sub (call $leaf (local.get $i)) (i32.add (local.get $i) (i32.const 2))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (i32.const 1000))))
          (call $bump (i32.const 4))
          (call $skip (i32.const 0))
          (call $skip (i32.const 1))
          (local.set $t (i32.add (local.get $t) (global.get $g)))
          (local.set $t (i32.add (local.get $t) (call $out (i32.const 1))))
          (local.set $t (i32.add (local.get $t) (call $out (i32.const 0))))
          (local.set $t (i32.add (local.get $t) (call $even (i32.const 30))))
          (local.set $t (i32.add (local.get $t) (call $exit_if (i32.const 1))))
          (local.set $t (i32.add (local.get $t) (i32.wrap_i64 (call $wide (i64.const 40)))))
          (local.set $t (i32.add (local.get $t) (call $tail (i32.const 7))))
          (i32.sub (local.get $t) (i32.const 7))))
      """;

  private static final Map<String, byte[]> ASSEMBLED = new ConcurrentHashMap<>();

  private WatModules() {}

  /** {@link #COUNT_RETURNS} with $tail's {@code call $twice} (function 8) made a tail call. */
  static byte[] countReturns() {
    byte[] wasm = binary(COUNT_RETURNS);
    // local.get 0, call 8, return, end: $tail's whole body
    byte[] call = {0x20, 0x00, 0x10, 0x08, 0x0F, 0x0B};
    int at = -1;
    for (int i = 0; i + call.length <= wasm.length; i++) {
      if (java.util.Arrays.equals(wasm, i, i + call.length, call, 0, call.length)) {
        if (at >= 0) {
          throw new IllegalStateException("$tail's body is not unique in the binary");
        }
        at = i;
      }
    }
    if (at < 0) {
      throw new IllegalStateException("$tail's body not found in the binary");
    }
    wasm[at + 2] = 0x12; // return_call
    return wasm;
  }

  /** The binary of a module text (assembled once per text). */
  static byte[] binary(String wat) {
    return ASSEMBLED.computeIfAbsent(wat, WatAssembler::assemble).clone();
  }
}
