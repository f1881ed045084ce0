package io.capsule.sandbox.internal.split;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import java.util.ArrayList;
import java.util.List;

/** The function types of a module: by type index, and of each function (imports first). */
final class ModuleTypes {
  private final WasmModule module;
  private final List<Integer> functionTypes = new ArrayList<>();

  ModuleTypes(WasmModule module) {
    this.module = module;
    var imports = module.importSection();
    for (int i = 0; i < imports.importCount(); i++) {
      if (imports.getImport(i).importType() == ExternalType.FUNCTION) {
        functionTypes.add(((FunctionImport) imports.getImport(i)).typeIndex());
      }
    }
    for (int i = 0; i < module.functionSection().functionCount(); i++) {
      functionTypes.add(module.functionSection().getFunctionType(i));
    }
  }

  FunctionType type(int typeIndex) {
    return module.typeSection().getType(typeIndex);
  }

  FunctionType ofFunction(int functionIndex) {
    return type(functionTypes.get(functionIndex));
  }

  /** How many types the module defines: the index the next added type gets. */
  int typeCount() {
    return module.typeSection().subTypeCount();
  }

  int functionCount() {
    return functionTypes.size();
  }

  int importedFunctionCount() {
    return functionTypes.size() - module.functionSection().functionCount();
  }
}
