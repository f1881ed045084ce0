package io.capsule.sandbox.internal.split;

/**
 * The opcode numbers the splitter reads or writes (Chicory's numbering, prefix in the high byte).
 */
final class Opcodes {
  static final int UNREACHABLE = 0x00;
  static final int BLOCK = 0x02;
  static final int LOOP = 0x03;
  static final int IF = 0x04;
  static final int ELSE = 0x05;
  static final int THROW = 0x08;
  static final int THROW_REF = 0x0A;
  static final int END = 0x0B;
  static final int BR = 0x0C;
  static final int BR_IF = 0x0D;
  static final int BR_TABLE = 0x0E;
  static final int RETURN = 0x0F;
  static final int CALL = 0x10;
  static final int CALL_INDIRECT = 0x11;
  static final int RETURN_CALL = 0x12;
  static final int RETURN_CALL_INDIRECT = 0x13;
  static final int CALL_REF = 0x14;
  static final int RETURN_CALL_REF = 0x15;
  static final int TRY_TABLE = 0x1F;
  static final int LOCAL_GET = 0x20;
  static final int LOCAL_SET = 0x21;
  static final int LOCAL_TEE = 0x22;
  static final int I32_CONST = 0x41;
  static final int I64_CONST = 0x42;
  static final int F32_CONST = 0x43;
  static final int F64_CONST = 0x44;
  static final int I32_EQ = 0x46;
  static final int REF_NULL = 0xD0;
  static final int BR_ON_NULL = 0xD5;
  static final int BR_ON_NON_NULL = 0xD6;
  static final int GC_PREFIX = 0xFB;
  static final int BR_ON_CAST = 0xFB18;
  static final int BR_ON_CAST_FAIL = 0xFB19;
  static final int EMPTY_BLOCK_TYPE = 0x40;

  private Opcodes() {}

  static boolean isLocalAccess(int opcode) {
    return opcode == LOCAL_GET || opcode == LOCAL_SET || opcode == LOCAL_TEE;
  }

  static boolean isBranch(int opcode) {
    return opcode == BR || opcode == BR_IF || opcode == BR_TABLE;
  }

  /**
   * Operators a moved-out region may not hold: a tail call would return the callee's results from
   * the new function instead of the old one, and the branches of the GC proposal carry values out.
   */
  static boolean forbiddenInRegion(int opcode) {
    return opcode == RETURN_CALL
        || opcode == RETURN_CALL_INDIRECT
        || opcode == RETURN_CALL_REF
        || opcode == BR_ON_NULL
        || opcode == BR_ON_NON_NULL
        || opcode == BR_ON_CAST
        || opcode == BR_ON_CAST_FAIL;
  }
}
