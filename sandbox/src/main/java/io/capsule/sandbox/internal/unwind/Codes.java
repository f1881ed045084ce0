package io.capsule.sandbox.internal.unwind;

/** Opcode numbers and value type encodings the pass reads or writes (Chicory's numbering). */
final class Codes {
  static final int UNREACHABLE = 0x00;
  static final int BLOCK = 0x02;
  static final int LOOP = 0x03;
  static final int IF = 0x04;
  static final int ELSE = 0x05;
  static final int END = 0x0B;
  static final int BR = 0x0C;
  static final int BR_IF = 0x0D;
  static final int BR_TABLE = 0x0E;
  static final int RETURN = 0x0F;
  static final int CALL = 0x10;
  static final int CALL_INDIRECT = 0x11;
  static final int LOCAL_GET = 0x20;
  static final int LOCAL_SET = 0x21;
  static final int GLOBAL_GET = 0x23;
  static final int GLOBAL_SET = 0x24;
  static final int I32_LOAD = 0x28;
  static final int I32_STORE = 0x36;
  static final int I32_CONST = 0x41;
  static final int I64_CONST = 0x42;
  static final int F32_CONST = 0x43;
  static final int F64_CONST = 0x44;
  static final int I32_EQ = 0x46;
  static final int I32_NE = 0x47;
  static final int I32_LE_U = 0x4D;
  static final int I32_GT_U = 0x4B;
  static final int I64_LT_U = 0x54;
  static final int I64_GT_U = 0x56;
  static final int I32_ADD = 0x6A;
  static final int I32_SUB = 0x6B;
  static final int I32_OR = 0x72;
  static final int I64_ADD = 0x7C;
  static final int I64_EXTEND_I32_U = 0xAD;
  static final int EMPTY_BLOCK = 0x40;

  static final int I32 = 0x7F;
  static final int I64 = 0x7E;
  static final int F32 = 0x7D;
  static final int F64 = 0x7C;
  static final int FUNCREF = 0x70;
  static final int EXTERNREF = 0x6F;

  private Codes() {}

  /** Whether a value of this type can be kept in the unwind buffer. */
  static boolean isNumeric(int type) {
    return type == I32 || type == I64 || type == F32 || type == F64;
  }

  /** Bytes a value of a numeric type takes in a frame. */
  static int size(int type) {
    return type == I64 || type == F64 ? 8 : 4;
  }

  /** The load opcode for a numeric type. */
  static int load(int type) {
    return switch (type) {
      case I32 -> 0x28;
      case I64 -> 0x29;
      case F32 -> 0x2A;
      default -> 0x2B;
    };
  }

  /** The store opcode for a numeric type. */
  static int store(int type) {
    return switch (type) {
      case I32 -> 0x36;
      case I64 -> 0x37;
      case F32 -> 0x38;
      default -> 0x39;
    };
  }
}
