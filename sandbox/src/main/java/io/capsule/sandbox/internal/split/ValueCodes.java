package io.capsule.sandbox.internal.split;

import com.dylibso.chicory.wasm.types.ValType;

/**
 * The value types a region may pass in or out, with their one-byte encodings and JVM slot counts.
 * Others (v128, typed references) keep a region in place.
 */
final class ValueCodes {
  static final int UNSUPPORTED = -1;

  private ValueCodes() {}

  static int code(ValType type) {
    if (type.equals(ValType.I32)) {
      return 0x7F;
    } else if (type.equals(ValType.I64)) {
      return 0x7E;
    } else if (type.equals(ValType.F32)) {
      return 0x7D;
    } else if (type.equals(ValType.F64)) {
      return 0x7C;
    } else if (type.equals(ValType.FuncRef)) {
      return 0x70;
    } else if (type.equals(ValType.ExternRef)) {
      return 0x6F;
    }
    return UNSUPPORTED;
  }

  /** The encodings of {@code types}, in order. */
  static java.util.List<Integer> codes(java.util.List<ValType> types) {
    return types.stream().map(ValueCodes::code).toList();
  }

  /**
   * The encoding a one-byte block type names, or {@link #UNSUPPORTED} (v128, and the typed
   * references whose heap type follows).
   */
  static int ofByte(int encoded) {
    return switch (encoded) {
      case 0x7F, 0x7E, 0x7D, 0x7C, 0x70, 0x6F -> encoded;
      default -> UNSUPPORTED;
    };
  }

  /** The value type of a supported encoding. */
  static ValType type(int code) {
    return switch (code) {
      case 0x7F -> ValType.I32;
      case 0x7E -> ValType.I64;
      case 0x7D -> ValType.F32;
      case 0x7C -> ValType.F64;
      case 0x70 -> ValType.FuncRef;
      case 0x6F -> ValType.ExternRef;
      default -> throw new IllegalArgumentException("unsupported value type " + code);
    };
  }

  /** JVM local slots Chicory's compiler gives a parameter of this type. */
  static int slots(int code) {
    return code == 0x7E || code == 0x7C ? 2 : 1;
  }

  /** Writes an operator that pushes the zero (or null) value of the type. */
  static void zero(int code, io.capsule.sandbox.internal.meter.WasmWriter out) {
    switch (code) {
      case 0x7F -> out.u8(Opcodes.I32_CONST).u8(0);
      case 0x7E -> out.u8(Opcodes.I64_CONST).u8(0);
      case 0x7D -> out.u8(Opcodes.F32_CONST).bytes(new byte[4]);
      case 0x7C -> out.u8(Opcodes.F64_CONST).bytes(new byte[8]);
      default -> out.u8(Opcodes.REF_NULL).u8(code);
    }
  }
}
