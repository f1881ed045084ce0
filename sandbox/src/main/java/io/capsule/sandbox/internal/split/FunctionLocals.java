package io.capsule.sandbox.internal.split;

import com.dylibso.chicory.wasm.types.ValType;
import java.util.ArrayList;
import java.util.List;

/**
 * The locals of a function being split (parameters, declared locals, then the few the glue adds),
 * and its result types. Every moved-out region numbers its locals in this space; its function takes
 * the ones it uses as parameters.
 */
final class FunctionLocals {
  private final List<ValType> types;
  private final List<ValType> results;
  private final List<ValType> added = new ArrayList<>();
  private int codeLocal = -1;
  private int[] resultTemps;

  FunctionLocals(List<ValType> params, List<ValType> declared, List<ValType> results) {
    this.types = new ArrayList<>(params);
    this.types.addAll(declared);
    this.results = List.copyOf(results);
  }

  /** The encoding of local {@code index}'s type, or {@link ValueCodes#UNSUPPORTED}. */
  int code(int index) {
    return ValueCodes.code(types.get(index));
  }

  /** How many locals the function has now. */
  int count() {
    return types.size();
  }

  List<ValType> results() {
    return results;
  }

  /** Whether a region may return the function's results through its own. */
  boolean resultsPassable() {
    return results.stream().allMatch(t -> ValueCodes.code(t) != ValueCodes.UNSUPPORTED);
  }

  /** The i32 local the glue keeps a returned exit code in (added on first use). */
  int codeLocal() {
    if (codeLocal < 0) {
      codeLocal = add(ValType.I32);
    }
    return codeLocal;
  }

  /** The locals the glue keeps the function's results in on their way out (added on first use). */
  int[] resultTemps() {
    if (resultTemps == null) {
      resultTemps = new int[results.size()];
      for (int i = 0; i < resultTemps.length; i++) {
        resultTemps[i] = add(results.get(i));
      }
    }
    return resultTemps;
  }

  /** The locals added to the function, in order, after its declared ones. */
  List<ValType> added() {
    return added;
  }

  private int add(ValType type) {
    types.add(type);
    added.add(type);
    return types.size() - 1;
  }
}
