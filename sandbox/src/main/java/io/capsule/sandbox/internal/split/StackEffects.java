package io.capsule.sandbox.internal.split;

import com.dylibso.chicory.wasm.types.FunctionType;

/**
 * What an operator does to the height of the operand stack, so the splitter knows where the stack
 * is empty: the only places a region may start. Covers the core operators, sign extension,
 * saturating truncation, bulk memory, reference types and calls; anything else (SIMD, atomics, GC)
 * is unknown, which only means no region starts after it in the same body.
 */
final class StackEffects {
  /** The net change is not known. */
  static final int UNKNOWN = Integer.MIN_VALUE;

  private StackEffects() {}

  /** Whether execution never continues after {@code opcode} (the stack becomes polymorphic). */
  static boolean endsReachability(int opcode) {
    return switch (opcode) {
      case Opcodes.UNREACHABLE,
          Opcodes.BR,
          Opcodes.BR_TABLE,
          Opcodes.RETURN,
          Opcodes.RETURN_CALL,
          Opcodes.RETURN_CALL_INDIRECT,
          Opcodes.RETURN_CALL_REF,
          Opcodes.THROW,
          Opcodes.THROW_REF ->
          true;
      default -> false;
    };
  }

  /** The net change in stack height that {@code op} makes, or {@link #UNKNOWN}. */
  static int net(Node.Op op, ModuleTypes types) {
    int opcode = op.opcode();
    if (opcode > 0xFF) {
      return prefixed(opcode);
    }
    return switch (opcode) {
      case 0x00,
          0x01,
          0x0C,
          0x0E,
          0x0F,
          0x12,
          0x13,
          0x15,
          0x08,
          0x0A,
          0x22,
          0x25,
          0x40,
          0x45,
          0x50,
          0xD1,
          0xD4 ->
          0;
      case Opcodes.BR_IF, 0x1A, 0x21, 0x24, 0xD3 -> -1;
      case 0x1B, 0x1C, 0x26 -> -2;
      case 0x20, 0x23, 0x3F, 0xD0, 0xD2 -> 1;
      case Opcodes.CALL -> delta(types.ofFunction(Immediates.first(op)));
      case Opcodes.CALL_INDIRECT, Opcodes.CALL_REF -> delta(types.type(Immediates.first(op))) - 1;
      default -> numeric(opcode);
    };
  }

  private static int numeric(int opcode) {
    if (opcode >= 0x28 && opcode <= 0x35) {
      return 0; // loads
    }
    if (opcode >= 0x36 && opcode <= 0x3E) {
      return -2; // stores
    }
    if (opcode >= 0x41 && opcode <= 0x44) {
      return 1; // constants
    }
    if (opcode >= 0x46 && opcode <= 0xC4) {
      return isUnary(opcode) ? 0 : -1;
    }
    return UNKNOWN;
  }

  /** Among 0x46..0xC4: tests, unary arithmetic and conversions (binary operators take two). */
  private static boolean isUnary(int opcode) {
    return opcode == 0x50
        || (opcode >= 0x67 && opcode <= 0x69)
        || (opcode >= 0x79 && opcode <= 0x7B)
        || (opcode >= 0x8B && opcode <= 0x91)
        || (opcode >= 0x99 && opcode <= 0x9F)
        || opcode >= 0xA7;
  }

  private static int prefixed(int opcode) {
    if (opcode >= 0xFC00 && opcode <= 0xFC07) {
      return 0; // saturating truncations
    }
    return switch (opcode) {
      case 0xFC08, 0xFC0A, 0xFC0B, 0xFC0C, 0xFC0E, 0xFC11 -> -3;
      case 0xFC09, 0xFC0D -> 0;
      case 0xFC0F -> -1;
      case 0xFC10 -> 1;
      default -> UNKNOWN;
    };
  }

  private static int delta(FunctionType type) {
    return type.returns().size() - type.params().size();
  }
}
