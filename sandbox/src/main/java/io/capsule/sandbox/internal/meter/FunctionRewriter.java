package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import java.util.List;

/**
 * Rewrites one function body so that it charges its fuel.
 *
 * <p>The body is cut into straight-line {@link Segments}; each segment's cost is charged once,
 * where it starts. A function counts either in an i64 local or directly in the global, as its
 * {@link MeteringStrategy} decides. A local counter starts from the global at entry (or from the
 * caller's count, passed as a trailing parameter to functions only called directly: see {@link
 * FuelParameters}); it is written back to the global before calls, returns and branches out of the
 * function, and reloaded after calls, except where the callee hands it back in its result instead
 * ({@link FuelParameters.CountReturn}). The count is checked (and refilled when negative) at the
 * entry of a function that calls, at loop headers (unless the iteration surely reaches another
 * check), after a length charge and before a packed count is returned: any endless execution passes
 * one of those points endlessly.
 *
 * <p>Original instructions are copied byte for byte from the module (Chicory gives each one's
 * absolute address), except function indices, which move up by one past the added import, and local
 * indices past the fuel parameter. Branch depths never change: the only block inserted ({@code if …
 * end} around a refill) wraps inserted code alone.
 */
final class FunctionRewriter {
  private static final int I64 = 0x7E;
  private static final int I32 = 0x7F;

  /**
   * What the rewriter needs of a function's type.
   *
   * @param params how many parameters it has in the original module
   * @param takesFuel whether it gets its caller's count as an added trailing parameter (which then
   *     is its counter; its original locals move up one index)
   * @param countReturn how it hands its final count back to its caller
   */
  record Signature(int params, boolean takesFuel, FuelParameters.CountReturn countReturn) {}

  private final byte[] module;
  private final MeterLayout layout;
  private final List<? extends Instruction> code;
  private final int bodyEnd;
  private final FunctionShape shape;
  private final Segments segments;
  private final Signature signature;
  private final boolean inLocal;
  private final int counter;
  private final int lengthScratch;
  private final WasmWriter out = new WasmWriter();
  private final MeterCode meter;

  private FunctionRewriter(
      byte[] module, int bodyEnd, FunctionBody body, Signature signature, MeterLayout layout) {
    this.module = module;
    this.layout = layout;
    this.code = body.instructions();
    this.bodyEnd = bodyEnd;
    this.shape = FunctionShape.of(code);
    this.segments = Segments.of(code);
    this.signature = signature;
    this.inLocal = signature.takesFuel() || layout.strategy().countsInLocal(shape);
    int firstAdded =
        signature.params() + body.localTypes().size() + (signature.takesFuel() ? 1 : 0);
    this.counter = signature.takesFuel() ? signature.params() : firstAdded;
    this.lengthScratch = signature.takesFuel() ? firstAdded : firstAdded + 1;
    this.meter = new MeterCode(out, layout.fuelGlobal(), layout.refillFunction());
  }

  /**
   * Rewrites the body that spans {@code [bodyStart, bodyEnd)} of {@code module} (after its size).
   *
   * @return the new body, without its size
   */
  static byte[] rewrite(
      byte[] module,
      int bodyStart,
      int bodyEnd,
      FunctionBody body,
      Signature signature,
      MeterLayout layout) {
    var rewriter = new FunctionRewriter(module, bodyEnd, body, signature, layout);
    rewriter.writeLocals(bodyStart);
    rewriter.writeCode();
    return rewriter.out.toByteArray();
  }

  private void writeLocals(int bodyStart) {
    var reader = new WasmReader(module, bodyStart);
    int groups = reader.u32();
    boolean counterLocal = !signature.takesFuel();
    out.u32(groups + (counterLocal ? 1 : 0) + (shape.chargesLength() ? 1 : 0));
    out.bytes(module, reader.position(), code.get(0).address());
    if (counterLocal) {
      out.u32(1).u8(I64);
    }
    if (shape.chargesLength()) {
      out.u32(1).u8(I32);
    }
  }

  private void writeCode() {
    writePrologue(segments.costAt(0));
    int depth = 0;
    for (int i = 0; i < code.size(); i++) {
      Instruction ins = code.get(i);
      if (i > 0 && segments.startsAt(i)) {
        chargeSegment(i, segments.costAt(i));
      }
      beforeInstruction(ins, depth, i == code.size() - 1);
      copy(ins, i);
      depth += Opcodes.opensBlock(ins.opcode()) ? 1 : ins.opcode() == OpCode.END ? -1 : 0;
    }
  }

  private void writePrologue(long firstCost) {
    boolean check = shape.checksOnEntry();
    if (signature.takesFuel() && check) {
      meter.chargeLocalAndCheck(counter, firstCost);
    } else if (signature.takesFuel()) {
      meter.chargeLocal(counter, firstCost);
    } else if (inLocal) {
      meter.loadLocal(counter, firstCost, check);
    } else if (firstCost > 0 || check) {
      meter.chargeGlobal(firstCost, check, counter);
    }
  }

  /**
   * Whether the loop whose first body instruction is {@code start} must check at its header. It
   * need not when every iteration surely reaches another check first: the header's segment reaches
   * a nested loop or a call to a checking function.
   */
  private boolean loopHeaderChecks(int start) {
    for (int i = start; i < code.size(); i++) {
      Instruction ins = code.get(i);
      OpCode op = ins.opcode();
      if (op == OpCode.LOOP || (op == OpCode.CALL && layout.callChecks(ins.operand(0)))) {
        return false;
      }
      if (i + 1 < code.size() && segments.startsAt(i + 1)) {
        return true;
      }
    }
    return true;
  }

  private void chargeSegment(int index, long cost) {
    OpCode previous = code.get(index - 1).opcode();
    boolean loopHeader = previous == OpCode.LOOP && loopHeaderChecks(index);
    FuelParameters.CountReturn returned = countReturnedBy(code.get(index - 1));
    if (returned != FuelParameters.CountReturn.GLOBAL) {
      meter.takeCount(returned, counter, cost);
      if (!inLocal) {
        meter.storeLocal(counter);
      }
    } else if (inLocal && Opcodes.isReturningCall(previous)) {
      meter.loadLocal(counter, cost, false);
    } else if (inLocal && loopHeader) {
      meter.chargeLocalAndCheck(counter, cost);
    } else if (inLocal && cost > 0) {
      meter.chargeLocal(counter, cost);
    } else if (!inLocal && (cost > 0 || loopHeader)) {
      meter.chargeGlobal(cost, loopHeader, counter);
    }
  }

  private void beforeInstruction(Instruction ins, int depth, boolean last) {
    OpCode op = ins.opcode();
    boolean returnsCount = signature.countReturn() != FuelParameters.CountReturn.GLOBAL;
    if (callsFuelTaker(ins)) {
      meter.pushCount(inLocal ? counter : -1);
    } else if (returnsCount && returnsHere(ins, depth, last)) {
      meter.returnCount(signature.countReturn(), counter);
    } else if (inLocal && needsWriteBack(ins, depth, last)) {
      meter.storeLocal(counter);
    }
    if (CostModel.chargesLength(op)) {
      meter.chargeLength(CostModel.bulk(op), ins, lengthScratch, counter, !inLocal);
    }
  }

  private static boolean needsWriteBack(Instruction ins, int depth, boolean last) {
    OpCode op = ins.opcode();
    return last
        || Opcodes.isReturningCall(op)
        || Opcodes.leavesFrame(op)
        || Opcodes.mayBranchOutOfFunction(ins, depth);
  }

  /**
   * Whether {@code ins} leaves the function with its result: its end, {@code return}, or a {@code
   * br} to the function's label (in a function that {@linkplain FuelParameters returns its count},
   * no other branch leaves it).
   */
  private static boolean returnsHere(Instruction ins, int depth, boolean last) {
    OpCode op = ins.opcode();
    return last
        || op == OpCode.RETURN
        || (op == OpCode.BR && Opcodes.mayBranchOutOfFunction(ins, depth));
  }

  /** How the call {@code ins} (if it is a direct call) hands the callee's count back. */
  private FuelParameters.CountReturn countReturnedBy(Instruction ins) {
    return ins.opcode() == OpCode.CALL
        ? layout.fuelParameters().countReturn(ins.operand(0))
        : FuelParameters.CountReturn.GLOBAL;
  }

  /** Whether {@code ins} directly calls a function that takes the count as a parameter. */
  private boolean callsFuelTaker(Instruction ins) {
    OpCode op = ins.opcode();
    return (op == OpCode.CALL || op == OpCode.RETURN_CALL)
        && layout.fuelParameters().takesFuel(ins.operand(0));
  }

  private void copy(Instruction ins, int index) {
    switch (ins.opcode()) {
      case LOCAL_GET:
      case LOCAL_SET:
      case LOCAL_TEE:
        if (signature.takesFuel() && ins.operand(0) >= signature.params()) {
          out.u8(module[ins.address()] & 0xff).u32(ins.operand(0) + 1);
          return;
        }
        copyBytes(ins, index);
        return;
      case CALL:
      case RETURN_CALL:
      case REF_FUNC:
        out.u8(module[ins.address()] & 0xff).u32(layout.shiftFunction(ins.operand(0)));
        return;
      default:
        copyBytes(ins, index);
    }
  }

  private void copyBytes(Instruction ins, int index) {
    int next = index + 1 < code.size() ? code.get(index + 1).address() : bodyEnd;
    out.bytes(module, ins.address(), next);
  }
}
