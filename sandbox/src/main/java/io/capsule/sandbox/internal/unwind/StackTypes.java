package io.capsule.sandbox.internal.unwind;

import com.dylibso.chicory.wasm.types.FunctionType;
import io.capsule.sandbox.internal.meter.WasmReader;
import java.util.List;

/**
 * The types on the operand stack, operator by operator, for the core operators, sign extension,
 * saturating truncation, bulk memory and the reference operators that need no table type: what the
 * pass must know to move the values of a stack into locals. Anything else is refused.
 */
final class StackTypes {
  private final ModuleFacts facts;
  private final List<Integer> locals;

  /** Types for a function whose locals (parameters first) have the types {@code locals}. */
  StackTypes(ModuleFacts facts, List<Integer> locals) {
    this.facts = facts;
    this.locals = locals;
  }

  /**
   * Applies {@code op} to {@code stack} (types, top last).
   *
   * @return whether execution may continue after it ({@code false} after a branch, return or {@code
   *     unreachable}: the rest of its body is dead)
   */
  boolean apply(Piece.Op op, List<Integer> stack) {
    int opcode = op.opcode();
    switch (opcode) {
      case Codes.UNREACHABLE, Codes.BR, Codes.RETURN, 0x12, 0x13 -> {
        return false;
      }
      case Codes.BR_TABLE -> {
        pop(stack, 1);
        return false;
      }
      case 0x01 -> {
        return true;
      }
      case Codes.BR_IF, 0x1A, Codes.LOCAL_SET, Codes.GLOBAL_SET -> pop(stack, 1);
      case 0x1B, 0x1C -> {
        pop(stack, 2);
        // the first operand's type stays
      }
      case Codes.LOCAL_GET -> stack.add(locals.get(first(op)));
      case 0x22 -> {
        pop(stack, 1);
        stack.add(locals.get(first(op)));
      }
      case Codes.GLOBAL_GET -> stack.add(facts.globalType(first(op)));
      case 0x26 -> pop(stack, 2);
      case 0x3F -> stack.add(Codes.I32);
      case 0x40 -> unary(stack, Codes.I32);
      case Codes.I32_CONST -> stack.add(Codes.I32);
      case Codes.I64_CONST -> stack.add(Codes.I64);
      case Codes.F32_CONST -> stack.add(Codes.F32);
      case Codes.F64_CONST -> stack.add(Codes.F64);
      case Codes.CALL -> call(facts.ofFunction(first(op)), stack, 0);
      case Codes.CALL_INDIRECT -> call(facts.type(first(op)), stack, 1);
      case 0xD0 -> stack.add(refNullType(op));
      case 0xD1 -> unary(stack, Codes.I32);
      case 0xD2 -> stack.add(Codes.FUNCREF);
      default -> {
        if (!numeric(opcode, stack) && !prefixed(opcode, stack)) {
          throw new AsyncifyRefusedException(
              "instruction 0x" + Integer.toHexString(opcode) + " is not modelled");
        }
      }
    }
    return true;
  }

  /** Pops the arguments of a call (and {@code extra} operands under them) and pushes results. */
  static void call(FunctionType type, List<Integer> stack, int extra) {
    pop(stack, type.params().size() + extra);
    stack.addAll(ModuleFacts.codes(type.returns()));
  }

  private boolean numeric(int opcode, List<Integer> stack) {
    if (opcode >= 0x28 && opcode <= 0x35) {
      unary(stack, loadType(opcode));
    } else if (opcode >= 0x36 && opcode <= 0x3E) {
      pop(stack, 2);
    } else if (opcode == 0x45 || opcode == 0x50) {
      unary(stack, Codes.I32);
    } else if (opcode >= 0x46 && opcode <= 0x66) {
      binary(stack, Codes.I32);
    } else if (opcode >= 0x67 && opcode <= 0xC4) {
      arithmetic(opcode, stack);
    } else {
      return false;
    }
    return true;
  }

  private static void arithmetic(int opcode, List<Integer> stack) {
    if (opcode <= 0x69) {
      unary(stack, Codes.I32);
    } else if (opcode <= 0x78) {
      binary(stack, Codes.I32);
    } else if (opcode <= 0x7B) {
      unary(stack, Codes.I64);
    } else if (opcode <= 0x8A) {
      binary(stack, Codes.I64);
    } else if (opcode <= 0x91) {
      unary(stack, Codes.F32);
    } else if (opcode <= 0x98) {
      binary(stack, Codes.F32);
    } else if (opcode <= 0x9F) {
      unary(stack, Codes.F64);
    } else if (opcode <= 0xA6) {
      binary(stack, Codes.F64);
    } else {
      unary(stack, conversionType(opcode));
    }
  }

  /** The result type of the conversions 0xA7..0xC4. */
  private static int conversionType(int opcode) {
    if (opcode <= 0xAB || opcode == 0xBC || opcode == 0xC0 || opcode == 0xC1) {
      return Codes.I32;
    }
    if (opcode <= 0xB1 || opcode == 0xBD || opcode >= 0xC2) {
      return Codes.I64;
    }
    if (opcode <= 0xB6 || opcode == 0xBE) {
      return Codes.F32;
    }
    return Codes.F64;
  }

  private static int loadType(int opcode) {
    return switch (opcode) {
      case 0x29, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35 -> Codes.I64;
      case 0x2A -> Codes.F32;
      case 0x2B -> Codes.F64;
      default -> Codes.I32;
    };
  }

  private static boolean prefixed(int opcode, List<Integer> stack) {
    if (opcode >= 0xFC00 && opcode <= 0xFC07) {
      unary(stack, opcode <= 0xFC03 ? Codes.I32 : Codes.I64);
      return true;
    }
    switch (opcode) {
      case 0xFC08, 0xFC0A, 0xFC0B, 0xFC0C, 0xFC0E, 0xFC11 -> pop(stack, 3);
      case 0xFC09, 0xFC0D -> {
        // data.drop, elem.drop
      }
      case 0xFC0F -> {
        pop(stack, 2);
        stack.add(Codes.I32);
      }
      case 0xFC10 -> stack.add(Codes.I32);
      default -> {
        return false;
      }
    }
    return true;
  }

  private static int refNullType(Piece.Op op) {
    int type = op.bytes()[1] & 0xff;
    return type == 0x70 ? Codes.FUNCREF : type == 0x6F ? Codes.EXTERNREF : ModuleFacts.UNSUPPORTED;
  }

  private static void unary(List<Integer> stack, int result) {
    pop(stack, 1);
    stack.add(result);
  }

  private static void binary(List<Integer> stack, int result) {
    pop(stack, 2);
    stack.add(result);
  }

  static void pop(List<Integer> stack, int count) {
    if (count > stack.size()) {
      throw new AsyncifyRefusedException("operand stack underflow (the body does not validate)");
    }
    for (int i = 0; i < count; i++) {
      stack.remove(stack.size() - 1);
    }
  }

  private static int first(Piece.Op op) {
    return new WasmReader(op.bytes(), 1).u32();
  }
}
