package io.capsule.sandbox.internal.unwind;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.GlobalImport;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.ArrayList;
import java.util.List;

/** What the pass needs to know of a module: function and global types, in index order. */
final class ModuleFacts {
  /** The encoding of a type the pass cannot name as one byte (v128, typed references). */
  static final int UNSUPPORTED = -1;

  private final WasmModule module;
  private final List<Integer> functionTypes = new ArrayList<>();
  private final List<Integer> globalTypes = new ArrayList<>();
  private final int importedFunctions;
  private final int importedGlobals;

  ModuleFacts(WasmModule module) {
    this.module = module;
    var imports = module.importSection();
    for (int i = 0; i < imports.importCount(); i++) {
      var imported = imports.getImport(i);
      if (imported.importType() == ExternalType.FUNCTION) {
        functionTypes.add(((FunctionImport) imported).typeIndex());
      } else if (imported.importType() == ExternalType.GLOBAL) {
        globalTypes.add(code(((GlobalImport) imported).type()));
      }
    }
    importedFunctions = functionTypes.size();
    importedGlobals = globalTypes.size();
    for (int i = 0; i < module.functionSection().functionCount(); i++) {
      functionTypes.add(module.functionSection().getFunctionType(i));
    }
    for (var global : module.globalSection().globals()) {
      globalTypes.add(code(global.valueType()));
    }
  }

  /** The one-byte encoding of {@code type}, or {@link #UNSUPPORTED}. */
  static int code(ValType type) {
    if (type.isNumeric()) {
      return type.opcode();
    } else if (type.equals(ValType.FuncRef)) {
      return Codes.FUNCREF;
    } else if (type.equals(ValType.ExternRef)) {
      return Codes.EXTERNREF;
    }
    return UNSUPPORTED;
  }

  static List<Integer> codes(List<ValType> types) {
    return types.stream().map(ModuleFacts::code).toList();
  }

  WasmModule module() {
    return module;
  }

  FunctionType type(int typeIndex) {
    return module.typeSection().getType(typeIndex);
  }

  FunctionType ofFunction(int functionIndex) {
    return type(functionTypes.get(functionIndex));
  }

  int globalType(int index) {
    return globalTypes.get(index);
  }

  int typeCount() {
    return module.typeSection().subTypeCount();
  }

  int functionCount() {
    return functionTypes.size();
  }

  int globalCount() {
    return globalTypes.size();
  }

  int importedFunctions() {
    return importedFunctions;
  }

  int importedGlobals() {
    return importedGlobals;
  }
}
