package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ByteBufferMemory;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportGlobal;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.ImportTable;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Store;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;
import com.dylibso.chicory.wasm.types.ValType;
import com.dylibso.chicory.wasm.types.Value;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One side of a spec-suite script: the modules of the script instantiated either as they are or
 * fuel-instrumented (with a budget that never runs out), in one execution mode, linked through a
 * Chicory {@link Store} that holds the {@code spectest} imports and the registered modules.
 */
public final class SpecWorld {
  private static final long NEVER_EXHAUSTED = Long.MAX_VALUE / 4;

  private final Function<byte[], WasmModule> prepare;
  private final ExecutionMode mode;
  private final Store store = new Store();
  private final Map<String, Instance> named = new HashMap<>();
  private Instance current;

  SpecWorld(boolean instrumented, ExecutionMode mode) {
    this(instrumented ? SpecWorld::instrument : Parser::parse, instrumented, mode);
  }

  /**
   * A side whose modules {@code prepare} turns into what runs; {@code metered} sides get a refill
   * function that never runs dry.
   */
  SpecWorld(Function<byte[], WasmModule> prepare, boolean metered, ExecutionMode mode) {
    this.prepare = prepare;
    this.mode = mode;
    addSpectest(store);
    if (metered) {
      store.addFunction(new FuelMeter(NEVER_EXHAUSTED).refillFunction());
    }
  }

  /**
   * Instantiates a module of a {@code module} command (see {@link #instantiate(byte[])}); it
   * becomes the current module, and {@code name} (if any) names it.
   */
  void load(byte[] wasm, String name) {
    Instance instance = instantiate(wasm);
    current = instance;
    if (name != null) {
      named.put(name, instance);
    }
  }

  /**
   * Parses (and, on the instrumented side, rewrites) and instantiates a module, running its start
   * function, linked to the spectest and registered modules.
   */
  Instance instantiate(byte[] wasm) {
    WasmModule module = prepare.apply(wasm);
    var builder = Instance.builder(module).withImportValues(store.toImportValues());
    if (mode == ExecutionMode.COMPILED) {
      builder.withMachineFactory(
          MachineFactoryCompiler.builder(module)
              .withInterpreterFallback(InterpreterFallback.SILENT)
              .compile());
    }
    return builder.build();
  }

  private static WasmModule instrument(byte[] wasm) {
    return FuelInstrumenter.instrument(wasm).module();
  }

  /** Forgets the current module and {@code name}: a module that did not instantiate. */
  void forget(String name) {
    current = null;
    if (name != null) {
      named.remove(name);
    }
  }

  /** Whether {@link #module(String)} has that module. */
  boolean has(String name) {
    return (name == null ? current : named.get(name)) != null;
  }

  /** The module a command names, or the current one when it names none. */
  Instance module(String name) {
    Instance instance = name == null ? current : named.get(name);
    if (instance == null) {
      throw new IllegalStateException("no module " + (name == null ? "instantiated" : name));
    }
    return instance;
  }

  /** Makes a module's exports importable under {@code as}. */
  void register(String name, String as) {
    store.register(as, module(name));
  }

  /** The {@code spectest} module every spec script may import from. */
  private static void addSpectest(Store store) {
    store.addFunction(
        print("print"),
        print("print_i32", ValType.I32),
        print("print_i64", ValType.I64),
        print("print_f32", ValType.F32),
        print("print_f64", ValType.F64),
        print("print_i32_f32", ValType.I32, ValType.F32),
        print("print_f64_f64", ValType.F64, ValType.F64));
    store.addGlobal(
        new ImportGlobal("spectest", "global_i32", new GlobalInstance(Value.i32(666))),
        new ImportGlobal("spectest", "global_i64", new GlobalInstance(Value.i64(666))),
        new ImportGlobal("spectest", "global_f32", new GlobalInstance(Value.fromFloat(666.6f))),
        new ImportGlobal("spectest", "global_f64", new GlobalInstance(Value.fromDouble(666.6))));
    store.addTable(
        new ImportTable(
            "spectest",
            "table",
            new TableInstance(
                new Table(ValType.FuncRef, new TableLimits(10, 20)), Value.REF_NULL_VALUE)));
    store.addMemory(
        new ImportMemory("spectest", "memory", new ByteBufferMemory(new MemoryLimits(1, 2))));
  }

  private static HostFunction print(String name, ValType... params) {
    return new HostFunction(
        "spectest", name, FunctionType.of(List.of(params), List.of()), (instance, args) -> null);
  }
}
