package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which defined functions receive their caller's fuel count as an extra trailing i64 parameter
 * instead of reading the global at entry: those only ever called directly (not exported, not the
 * start function, never named by {@code ref.func} or an element segment) and with a plain numeric
 * signature. A caller then passes its count instead of writing it back, which halves the global
 * accesses per call (a Chicory global access costs several loads the JIT cannot hoist).
 *
 * <p>Such a function with no result or one i32 result also hands its final count back in its result
 * rather than through the global (see {@link CountReturn}), when every way out of it is a {@code
 * return}, an unconditional {@code br} to its label or its end, and no {@code return_call} names it
 * or leaves it (a tail call would make its caller return the callee's result type).
 */
final class FuelParameters {
  private static final int FUNC_TYPE = 0x60;
  private static final int I64 = 0x7E;

  /** How a function that takes the count as a parameter hands its final count back. */
  enum CountReturn {
    /** It writes the count to the global before it returns; the caller reloads it. */
    GLOBAL,
    /** It had no result: the count is its only result. */
    ALONE,
    /**
     * It had one i32 result: it returns an i64 holding the count (an i32, sign-extended) in the
     * high half and the result in the low half. The count always fits: it is at most the meter's
     * {@linkplain FuelMeter#MAX_CHUNK largest chunk} after a check and goes below zero between two
     * checks by no more than one function's straight-line code and one leaf callee's (a caller
     * checks after each call to a packing function that does not check on entry).
     */
    PACKED
  }

  private final int importedFunctions;
  private final int[] newTypes;
  private final CountReturn[] countReturns;
  private final List<FunctionType> addedTypes;

  private FuelParameters(
      int importedFunctions,
      int[] newTypes,
      CountReturn[] countReturns,
      List<FunctionType> addedTypes) {
    this.importedFunctions = importedFunctions;
    this.newTypes = newTypes;
    this.countReturns = countReturns;
    this.addedTypes = addedTypes;
  }

  /** No function takes a fuel parameter. */
  static FuelParameters none(WasmModule module) {
    int[] unchanged = new int[module.functionSection().functionCount()];
    Arrays.fill(unchanged, -1);
    var viaGlobal = new CountReturn[unchanged.length];
    Arrays.fill(viaGlobal, CountReturn.GLOBAL);
    return new FuelParameters(
        module.importSection().count(ExternalType.FUNCTION), unchanged, viaGlobal, List.of());
  }

  /**
   * Plans the fuel parameters of {@code module}; added types get indices from {@code firstType}.
   * Functions that catch exceptions keep their type: they count in the global.
   */
  static FuelParameters plan(WasmModule module, FunctionShape[] shapes, int firstType) {
    var plan = none(module);
    BitSet referenced = referencedFunctions(module);
    BitSet tailCalled = tailCalledFunctions(module);
    Map<FunctionType, Integer> types = new LinkedHashMap<>();
    for (int i = 0; i < plan.newTypes.length; i++) {
      FunctionType type = module.functionSection().getFunctionType(i, module.typeSection());
      if (!referenced.get(plan.importedFunctions + i)
          && isNumeric(type)
          && !shapes[i].catchesExceptions()) {
        List<? extends Instruction> body = module.codeSection().getFunctionBody(i).instructions();
        boolean returnsCount =
            !tailCalled.get(plan.importedFunctions + i) && leavesOnlyByReturning(body);
        plan.countReturns[i] = returnsCount ? countReturn(type) : CountReturn.GLOBAL;
        FunctionType rewritten = withFuel(type, plan.countReturns[i]);
        plan.newTypes[i] = types.computeIfAbsent(rewritten, t -> firstType + types.size());
      }
    }
    return new FuelParameters(
        plan.importedFunctions, plan.newTypes, plan.countReturns, new ArrayList<>(types.keySet()));
  }

  /** How function {@code index} (original numbering) hands its final count back. */
  CountReturn countReturn(long index) {
    return index >= importedFunctions
        ? countReturns[(int) index - importedFunctions]
        : CountReturn.GLOBAL;
  }

  private static CountReturn countReturn(FunctionType type) {
    if (type.returns().isEmpty()) {
      return CountReturn.ALONE;
    }
    return type.returns().equals(List.of(ValType.I32)) ? CountReturn.PACKED : CountReturn.GLOBAL;
  }

  /**
   * Whether control leaves the body only by {@code return}, an unconditional {@code br} to the
   * function's label, or its end (or a throw or trap): no conditional branch out of the function,
   * whose result could not be rewritten on the taken edge alone, and no tail call.
   */
  private static boolean leavesOnlyByReturning(List<? extends Instruction> body) {
    int depth = 0;
    for (Instruction ins : body) {
      OpCode op = ins.opcode();
      if (op == OpCode.RETURN_CALL
          || op == OpCode.RETURN_CALL_INDIRECT
          || op == OpCode.RETURN_CALL_REF
          || (op != OpCode.BR && Opcodes.mayBranchOutOfFunction(ins, depth))) {
        return false;
      }
      depth += Opcodes.opensBlock(op) ? 1 : op == OpCode.END ? -1 : 0;
    }
    return true;
  }

  /** Functions named by a {@code return_call}, in original numbering. */
  private static BitSet tailCalledFunctions(WasmModule module) {
    var named = new BitSet();
    for (var body : module.codeSection().functionBodies()) {
      for (Instruction ins : body.instructions()) {
        if (ins.opcode() == OpCode.RETURN_CALL) {
          named.set((int) ins.operand(0));
        }
      }
    }
    return named;
  }

  /** Whether function {@code index} (original numbering) takes a fuel parameter. */
  boolean takesFuel(long index) {
    return index >= importedFunctions && newTypes[(int) index - importedFunctions] >= 0;
  }

  /** The new type index of defined function {@code definedIndex}, or -1 when it keeps its type. */
  int newType(int definedIndex) {
    return newTypes[definedIndex];
  }

  /** Writes the added function types, in type index order. */
  void writeAddedTypes(WasmWriter out) {
    for (FunctionType type : addedTypes) {
      out.u8(FUNC_TYPE).u32(type.params().size());
      type.params().forEach(p -> out.u8(p.opcode()));
      out.u32(type.returns().size());
      type.returns().forEach(r -> out.u8(r.opcode()));
    }
  }

  int addedTypeCount() {
    return addedTypes.size();
  }

  private static FunctionType withFuel(FunctionType type, CountReturn countReturn) {
    var params = new ArrayList<>(type.params());
    params.add(ValType.I64);
    return FunctionType.of(
        params, countReturn == CountReturn.GLOBAL ? type.returns() : List.of(ValType.I64));
  }

  private static boolean isNumeric(FunctionType type) {
    return type.params().stream().allMatch(ValType::isNumeric)
        && type.returns().stream().allMatch(ValType::isNumeric);
  }

  /** Functions that may be called other than by a direct call, in original numbering. */
  private static BitSet referencedFunctions(WasmModule module) {
    var referenced = new BitSet();
    for (int i = 0; i < module.exportSection().exportCount(); i++) {
      var export = module.exportSection().getExport(i);
      if (export.exportType() == ExternalType.FUNCTION) {
        referenced.set(export.index());
      }
    }
    module.startSection().ifPresent(s -> referenced.set((int) s.startIndex()));
    for (var body : module.codeSection().functionBodies()) {
      markRefFuncs(body.instructions(), referenced);
    }
    for (var global : module.globalSection().globals()) {
      markRefFuncs(global.initInstructions(), referenced);
    }
    for (var element : module.elementSection().elements()) {
      element.initializers().forEach(init -> markRefFuncs(init, referenced));
    }
    for (int i = 0; i < module.tableSection().tableCount(); i++) {
      markRefFuncs(module.tableSection().getTable(i).initialize(), referenced);
    }
    return referenced;
  }

  private static void markRefFuncs(List<? extends Instruction> code, BitSet referenced) {
    if (code == null) {
      return;
    }
    for (Instruction ins : code) {
      if (ins.opcode() == OpCode.REF_FUNC) {
        referenced.set((int) ins.operand(0));
      }
    }
  }
}
