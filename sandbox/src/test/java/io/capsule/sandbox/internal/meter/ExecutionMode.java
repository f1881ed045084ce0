package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Function;

/** The two ways Chicory executes a module; tests run in both. */
public enum ExecutionMode {
  INTERPRETER,
  COMPILED;

  private static final Map<WasmModule, Function<Instance, Machine>> COMPILED_MODULES =
      Collections.synchronizedMap(new IdentityHashMap<>());

  /** Sets up {@code builder} for this mode; a module is compiled once and reused. */
  public Instance.Builder configure(Instance.Builder builder, WasmModule module) {
    if (this == INTERPRETER) {
      return builder;
    }
    return builder.withMachineFactory(
        COMPILED_MODULES.computeIfAbsent(module, MachineFactoryCompiler::compile));
  }
}
