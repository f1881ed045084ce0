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
 */
final class FuelParameters {
  private static final int FUNC_TYPE = 0x60;
  private static final int I64 = 0x7E;

  private final int importedFunctions;
  private final int[] newTypes;
  private final List<FunctionType> addedTypes;

  private FuelParameters(int importedFunctions, int[] newTypes, List<FunctionType> addedTypes) {
    this.importedFunctions = importedFunctions;
    this.newTypes = newTypes;
    this.addedTypes = addedTypes;
  }

  /** No function takes a fuel parameter. */
  static FuelParameters none(WasmModule module) {
    int[] unchanged = new int[module.functionSection().functionCount()];
    Arrays.fill(unchanged, -1);
    return new FuelParameters(
        module.importSection().count(ExternalType.FUNCTION), unchanged, List.of());
  }

  /**
   * Plans the fuel parameters of {@code module}; added types get indices from {@code firstType}.
   * Functions that catch exceptions keep their type: they count in the global.
   */
  static FuelParameters plan(WasmModule module, FunctionShape[] shapes, int firstType) {
    var plan = none(module);
    BitSet referenced = referencedFunctions(module);
    Map<FunctionType, Integer> types = new LinkedHashMap<>();
    for (int i = 0; i < plan.newTypes.length; i++) {
      FunctionType type = module.functionSection().getFunctionType(i, module.typeSection());
      if (!referenced.get(plan.importedFunctions + i)
          && isNumeric(type)
          && !shapes[i].catchesExceptions()) {
        plan.newTypes[i] = types.computeIfAbsent(withFuel(type), t -> firstType + types.size());
      }
    }
    return new FuelParameters(
        plan.importedFunctions, plan.newTypes, new ArrayList<>(types.keySet()));
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

  private static FunctionType withFuel(FunctionType type) {
    var params = new ArrayList<>(type.params());
    params.add(ValType.I64);
    return FunctionType.of(params, type.returns());
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
