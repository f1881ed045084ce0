package io.capsule.sandbox.internal.meter;

import io.capsule.protocol.InvalidModuleException;

/**
 * Copies constant expressions (global initialisers, segment offsets, element items), moving the
 * function index of each {@code ref.func} past the added import.
 */
final class ConstantExpressions {
  private static final int END = 0x0B;
  private static final int GLOBAL_GET = 0x23;
  private static final int I32_CONST = 0x41;
  private static final int I64_CONST = 0x42;
  private static final int F32_CONST = 0x43;
  private static final int F64_CONST = 0x44;
  private static final int REF_NULL = 0xD0;
  private static final int REF_FUNC = 0xD2;
  private static final int GC_PREFIX = 0xFB;
  private static final int SIMD_PREFIX = 0xFD;
  private static final int ARRAY_NEW = 6;
  private static final int ARRAY_NEW_FIXED = 8;

  private ConstantExpressions() {}

  /** Copies one expression, up to and including its {@code end}. */
  static void copy(WasmReader in, byte[] module, WasmWriter out, MeterLayout layout) {
    while (true) {
      int start = in.position();
      int op = in.u8();
      if (op == END) {
        out.u8(END);
        return;
      }
      if (op == REF_FUNC) {
        out.u8(REF_FUNC).u32(layout.shiftFunction(Integer.toUnsignedLong(in.u32())));
        continue;
      }
      skipImmediates(op, in);
      out.bytes(module, start, in.position());
    }
  }

  private static void skipImmediates(int op, WasmReader in) {
    switch (op) {
      case I32_CONST:
      case I64_CONST:
      case GLOBAL_GET:
      case REF_NULL:
        in.skipLeb();
        return;
      case F32_CONST:
        in.skip(4);
        return;
      case F64_CONST:
        in.skip(8);
        return;
      case SIMD_PREFIX:
        in.u32();
        in.skip(16);
        return;
      case GC_PREFIX:
        skipGcImmediates(in);
        return;
      default:
        if (isExtendedConstArithmetic(op)) {
          return;
        }
        throw new InvalidModuleException(
            "unsupported operator 0x" + Integer.toHexString(op) + " in a constant expression");
    }
  }

  private static void skipGcImmediates(WasmReader in) {
    int subOp = in.u32();
    if (subOp >= ARRAY_NEW && subOp <= ARRAY_NEW_FIXED) {
      // an allocation whose size instantiation would not pay for (see CostModel)
      throw new InvalidModuleException(
          "unsupported operator 0xfb " + subOp + " (an array allocation) in a constant expression");
    }
    if (subOp < ARRAY_NEW) {
      in.skipLeb(); // struct.new, struct.new_default: a type index
    }
    // ref.i31, any.convert_extern, extern.convert_any take no immediate
  }

  private static boolean isExtendedConstArithmetic(int op) {
    return (op >= 0x6A && op <= 0x6C) || (op >= 0x7C && op <= 0x7E);
  }
}
