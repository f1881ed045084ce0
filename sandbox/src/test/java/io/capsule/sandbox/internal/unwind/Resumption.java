package io.capsule.sandbox.internal.unwind;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.capsule.sandbox.internal.lang.ReactorSnapshot;
import io.capsule.sandbox.internal.meter.ExecutionMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Runs a test module whose import {@code env.input(i32) -> i32} answers {@code x * 31 + n} on its
 * n-th call: straight through, or unwound at the n-th call, copied (memory and globals) into a
 * fresh instance, rewound and finished there, as the Python snapshot does.
 */
final class Resumption {
  /** The unwind buffer: the second page of memory (the programs use the first). */
  static final int DATA = 65_536;

  static final int PROGRAM_BYTES = 65_536;

  /** What a run computed: results, the program's page of memory, the import calls and args. */
  record Outcome(long[] results, byte[] memory, List<Long> args) {
    @Override
    public boolean equals(Object other) {
      return other instanceof Outcome o
          && Arrays.equals(results, o.results)
          && Arrays.equals(memory, o.memory)
          && args.equals(o.args);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(results);
    }

    @Override
    public String toString() {
      return "results=" + Arrays.toString(results) + " calls=" + args;
    }
  }

  /** What the resumed run saw besides its outcome. */
  record Resumed(Outcome outcome, boolean rewoundToImport, int currentAfter) {}

  private static final java.util.Map<byte[], WasmModule> MODULES =
      java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

  private Resumption() {}

  static Outcome straight(byte[] wasm, ExecutionMode mode, String export, long... params) {
    List<Long> args = new ArrayList<>();
    Instance instance =
        instance(
            wasm,
            mode,
            (inst, a) -> {
              args.add(a[0]);
              return new long[] {answer(a[0], args.size())};
            });
    long[] results = instance.export(export).apply(params);
    return new Outcome(results, instance.memory().readBytes(0, PROGRAM_BYTES), args);
  }

  /**
   * Unwinds at import call {@code unwindAt} (1-based) into a buffer of {@code bufferBytes} bytes
   * after its header, then resumes in a fresh instance.
   */
  static Resumed resumed(
      byte[] wasm,
      ExecutionMode mode,
      int unwindAt,
      int bufferBytes,
      String export,
      long... params) {
    List<Long> args = new ArrayList<>();
    Instance first =
        instance(
            wasm,
            mode,
            (inst, a) -> {
              args.add(a[0]);
              if (args.size() == unwindAt) {
                inst.memory().writeI32(DATA, DATA + 8);
                inst.memory().writeI32(DATA + 4, DATA + 8 + bufferBytes);
                inst.export("asyncify_start_unwind").apply(DATA);
                return new long[] {0};
              }
              return new long[] {answer(a[0], args.size())};
            });
    first.export(export).apply(params);
    if (first.export("asyncify_get_state").apply()[0] != 1) {
      throw new AssertionError("no unwind at call " + unwindAt + " (" + args.size() + " calls)");
    }
    first.export("asyncify_stop_unwind").apply();
    ReactorSnapshot snapshot = ReactorSnapshot.capture(first, Set.of());

    List<Long> resumedArgs = new ArrayList<>(args.subList(0, unwindAt - 1));
    boolean[] rewound = new boolean[1];
    Instance second =
        instance(
            wasm,
            mode,
            (inst, a) -> {
              if (inst.export("asyncify_get_state").apply()[0] == 2) {
                rewound[0] = resumedArgs.size() == unwindAt - 1;
                inst.export("asyncify_stop_rewind").apply();
              }
              resumedArgs.add(a[0]);
              return new long[] {answer(a[0], resumedArgs.size())};
            });
    snapshot.restore(second);
    second.export("asyncify_start_rewind").apply(DATA);
    long[] results = second.export(export).apply(params);
    var outcome = new Outcome(results, second.memory().readBytes(0, PROGRAM_BYTES), resumedArgs);
    return new Resumed(outcome, rewound[0], second.memory().readInt(DATA));
  }

  static long answer(long x, int n) {
    return (x * 31 + n) & 0xffffffffL;
  }

  static Instance instance(
      byte[] wasm, ExecutionMode mode, com.dylibso.chicory.runtime.WasmFunctionHandle input) {
    WasmModule module = MODULES.computeIfAbsent(wasm, Parser::parse);
    var function =
        new HostFunction(
            "env", "input", FunctionType.of(List.of(ValType.I32), List.of(ValType.I32)), input);
    return mode.configure(Instance.builder(module), module)
        .withImportValues(ImportValues.builder().addFunction(function).build())
        .build();
  }
}
