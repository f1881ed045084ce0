package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.wasm.types.Instruction;

/**
 * Emits the instruction sequences the instrumenter inserts. Every sequence leaves the operand stack
 * as it found it, and the only block it opens ({@code if … end}) wraps inserted code alone, so the
 * branch depths of the original code stay valid.
 */
final class MeterCode {
  private static final int IF = 0x04;
  private static final int END = 0x0B;
  private static final int CALL = 0x10;
  private static final int LOCAL_GET = 0x20;
  private static final int LOCAL_SET = 0x21;
  private static final int LOCAL_TEE = 0x22;
  private static final int GLOBAL_GET = 0x23;
  private static final int GLOBAL_SET = 0x24;
  private static final int I64_CONST = 0x42;
  private static final int I32_WRAP_I64 = 0xA7;
  private static final int I64_SHR_U = 0x88;
  private static final int SIGN_BIT = 63;
  private static final int I64_SUB = 0x7D;
  private static final int I64_EXTEND_I32_U = 0xAD;
  private static final int I64_ADD = 0x7C;
  private static final int I64_MUL = 0x7E;
  private static final int I64_AND = 0x83;
  private static final int I64_OR = 0x84;
  private static final int I64_SHL = 0x86;
  private static final int I64_SHR_S = 0x87;
  private static final int I64_EXTEND_I32_S = 0xAC;
  private static final int HALF = 32;
  private static final long LOW_HALF = 0xFFFF_FFFFL;
  private static final int MISC_PREFIX = 0xFC;
  private static final int TABLE_SIZE = 16;
  private static final int EMPTY_BLOCK_TYPE = 0x40;

  private final WasmWriter out;
  private final int fuelGlobal;
  private final int refillFunction;

  MeterCode(WasmWriter out, int fuelGlobal, int refillFunction) {
    this.out = out;
    this.fuelGlobal = fuelGlobal;
    this.refillFunction = refillFunction;
  }

  /** {@code counter -= cost}. */
  void chargeLocal(int counter, long cost) {
    if (cost == 0) {
      return;
    }
    localGet(counter).subtract(cost).localSet(counter);
  }

  /** {@code counter -= cost; if (counter < 0) counter = refill(counter)}. */
  void chargeLocalAndCheck(int counter, long cost) {
    localGet(counter).subtract(cost).localTee(counter).refillIfNegative(counter, false);
  }

  /** {@code counter = fuel - cost}, optionally followed by a check of the counter. */
  void loadLocal(int counter, long cost, boolean check) {
    globalGet().subtract(cost);
    if (check) {
      localTee(counter).refillIfNegative(counter, false);
    } else {
      localSet(counter);
    }
  }

  /** Pushes the count: local {@code counter}, or the global when {@code counter} is negative. */
  void pushCount(int counter) {
    if (counter >= 0) {
      localGet(counter);
    } else {
      globalGet();
    }
  }

  /**
   * At a return of a function that {@linkplain FuelParameters.CountReturn returns its count}: turns
   * its result (an i32 on the stack, or none) into the i64 it now returns. A packed count is
   * checked first, so it is between zero and the meter's largest chunk and fits the high half.
   */
  void returnCount(FuelParameters.CountReturn how, int counter) {
    if (how == FuelParameters.CountReturn.PACKED) {
      localGet(counter).refillIfNegative(counter, false);
      // zero-extension as extend_s + and: Chicory compiles extend_u to a call, these to bytecode
      u8(I64_EXTEND_I32_S).u8(I64_CONST);
      out.s64(LOW_HALF);
      u8(I64_AND).localGet(counter).u8(I64_CONST).u8(HALF).u8(I64_SHL).u8(I64_OR);
    } else {
      localGet(counter);
    }
  }

  /**
   * After a call to a function that returns its count: {@code counter} = that count - {@code cost},
   * leaving the callee's own result (if any) on the stack.
   */
  void takeCount(FuelParameters.CountReturn how, int counter, long cost) {
    if (how == FuelParameters.CountReturn.PACKED) {
      localTee(counter).u8(I32_WRAP_I64).localGet(counter).u8(I64_CONST).u8(HALF).u8(I64_SHR_S);
    }
    subtract(cost).localSet(counter);
  }

  /** {@code fuel = counter}. */
  void storeLocal(int counter) {
    localGet(counter).globalSet();
  }

  /** {@code fuel -= cost}, optionally checked through {@code scratch} (an i64 local). */
  void chargeGlobal(long cost, boolean check, int scratch) {
    globalGet().subtract(cost);
    if (!check) {
      globalSet();
      return;
    }
    localTee(scratch).globalSet().localGet(scratch).refillIfNegative(scratch, true);
  }

  /**
   * Charges the i32 operand on top of the stack (left there), priced as {@code bulk} says for the
   * operator {@code ins}, to the counter local, or to the global through the counter when {@code
   * toGlobal}, then checks.
   */
  void chargeLength(
      CostModel.Bulk bulk, Instruction ins, int lengthScratch, int counter, boolean toGlobal) {
    localTee(lengthScratch);
    (toGlobal ? globalGet() : localGet(counter)).localGet(lengthScratch).u8(I64_EXTEND_I32_U);
    if (bulk == CostModel.Bulk.TABLE_GROW) {
      u8(MISC_PREFIX).u32(TABLE_SIZE).u32((int) ins.operand(0)).u8(I64_EXTEND_I32_U).u8(I64_ADD);
    }
    if (bulk.unitCost() != 1) {
      u8(I64_CONST);
      out.s64(bulk.unitCost());
      u8(I64_MUL);
    }
    u8(I64_SUB).localTee(counter);
    if (toGlobal) {
      globalSet().localGet(counter);
    }
    refillIfNegative(counter, toGlobal);
  }

  /**
   * With the value of {@code local} on the stack: {@code if (local < 0) target = refill(local)},
   * where the target is the global or the local itself. The sign test is {@code (int) (x >>> 63)}
   * rather than {@code i64.lt_s}, because Chicory compiles those operators to plain JVM bytecode
   * while {@code i64.lt_s} becomes a call, which eats into the JIT's inlining budget.
   */
  private void refillIfNegative(int local, boolean toGlobal) {
    u8(I64_CONST).u8(SIGN_BIT).u8(I64_SHR_U).u8(I32_WRAP_I64).u8(IF).u8(EMPTY_BLOCK_TYPE);
    localGet(local).u8(CALL).u32(refillFunction);
    if (toGlobal) {
      globalSet();
    } else {
      localSet(local);
    }
    u8(END);
  }

  private MeterCode subtract(long cost) {
    if (cost != 0) {
      u8(I64_CONST);
      out.s64(cost);
      u8(I64_SUB);
    }
    return this;
  }

  private MeterCode localGet(int index) {
    return u8(LOCAL_GET).u32(index);
  }

  private MeterCode localSet(int index) {
    return u8(LOCAL_SET).u32(index);
  }

  private MeterCode localTee(int index) {
    return u8(LOCAL_TEE).u32(index);
  }

  private MeterCode globalGet() {
    return u8(GLOBAL_GET).u32(fuelGlobal);
  }

  private MeterCode globalSet() {
    return u8(GLOBAL_SET).u32(fuelGlobal);
  }

  private MeterCode u8(int value) {
    out.u8(value);
    return this;
  }

  private MeterCode u32(int value) {
    out.u32(value);
    return this;
  }
}
