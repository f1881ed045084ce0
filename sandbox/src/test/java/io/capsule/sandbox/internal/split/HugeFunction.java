package io.capsule.sandbox.internal.split;

import io.capsule.sandbox.internal.meter.WasmWriter;

/**
 * Generates a module whose one exported function, {@code run (param $n i32) (result i64)}, is an
 * interpreter loop like CPython's: a {@code loop} around a {@code br_table} over {@code cases}
 * cases (nested blocks, as clang emits a {@code switch}), each a stretch of arithmetic on locals
 * and memory that picks the next case, some with an inner loop or an early {@code return}. With a
 * few hundred cases its body is far beyond what one JVM method holds. Written as a binary: wabt's
 * wat2wasm (as the sandbox runs it) runs out of stack on hundreds of nested blocks.
 */
public final class HugeFunction {
  private static final int STEPS = 1;
  private static final int C = 2;
  private static final int A = 3;
  private static final int B = 4;
  private static final int I = 5;

  private final WasmWriter code = new WasmWriter();

  private HugeFunction() {}

  /** The module, with a loop of {@code cases} cases. */
  public static byte[] binary(int cases) {
    var function = new HugeFunction();
    function.body(cases);
    byte[] body = function.code.toByteArray();
    var module = new WasmWriter().u8(0).u8('a').u8('s').u8('m').u8(1).u8(0).u8(0).u8(0);
    module.section(
        1, new WasmWriter().u32(1).u8(0x60).u32(1).u8(0x7F).u32(1).u8(0x7E).toByteArray());
    module.section(3, new WasmWriter().u32(1).u32(0).toByteArray());
    module.section(5, new WasmWriter().u32(1).u8(0).u32(1).toByteArray());
    module.section(7, new WasmWriter().u32(1).name("run").u8(0).u32(0).toByteArray());
    return module
        .section(10, new WasmWriter().u32(1).u32(body.length).bytes(body).toByteArray())
        .toByteArray();
  }

  private void body(int cases) {
    code.u32(3).u32(2).u8(0x7F).u32(2).u8(0x7E).u32(1).u8(0x7F);
    block(0x02).block(0x03); // $exit, $dispatch
    get(STEPS).get(0).op(0x4F).op(0x0D).u32(1); // br_if $exit when steps >= n
    get(STEPS).i32(1).op(0x6A).set(STEPS);
    for (int k = 0; k < cases; k++) {
      block(0x02);
    }
    get(C).i32(cases).op(0x70).op(0x0E).u32(cases);
    for (int k = 0; k < cases; k++) {
      code.u32(k);
    }
    code.u32(0);
    for (int k = 0; k < cases; k++) {
      op(0x0B);
      caseCode(k, cases - 1 - k);
    }
    op(0x0B).op(0x0B);
    get(A).get(B).op(0x7C).get(C).op(0xAD).op(0x85).op(0x0B);
  }

  /** Case {@code k}, where the dispatch loop's label is {@code loopDepth} levels out. */
  private void caseCode(int k, int loopDepth) {
    for (int r = 0; r < 3; r++) {
      get(A).i64(k * 7919L + r + 1).op(0x7E).get(B).op(0x85).set(A);
      get(B).get(A).i64((k + r) % 63).op(0x89).op(0x7C).set(B);
      i32((k * 8 + r * 4) % 60_000).get(A).op(0x37).u32(3).u32(8);
    }
    if (k % 7 == 3) {
      i32(0).set(I).block(0x03);
      get(B).i64(3).op(0x7E).i64(1).op(0x7C).set(B);
      get(I).i32(1).op(0x6A).op(0x22).u32(I).i32(k % 5 + 2).op(0x49).op(0x0D).u32(0);
      op(0x0B);
    }
    if (k % 11 == 5) {
      get(A).i64(255).op(0x83).i64(7).op(0x51).block(0x04).get(B).op(0x0F).op(0x0B);
    }
    get(C).i32(k * 31 + 7).op(0x6A).i32(1103515245).op(0x6C).i32(12345).op(0x6A);
    i32(8).op(0x76).set(C);
    op(0x0C).u32(loopDepth);
  }

  private HugeFunction block(int opcode) {
    return op(opcode).op(0x40);
  }

  private HugeFunction get(int local) {
    return op(0x20).u32(local);
  }

  private HugeFunction set(int local) {
    return op(0x21).u32(local);
  }

  private HugeFunction i32(int value) {
    code.u8(0x41).s64(value);
    return this;
  }

  private HugeFunction i64(long value) {
    code.u8(0x42).s64(value);
    return this;
  }

  private HugeFunction op(int opcode) {
    code.u8(opcode);
    return this;
  }

  private HugeFunction u32(int value) {
    code.u32(value);
    return this;
  }
}
