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

  /** The index the next added local gets. */
  int next() {
    return types.size();
  }

  /** The locals added to the function, in order, after its declared ones. */
  List<ValType> added() {
    return added;
  }

  /** Adds a local of {@code type}; returns its index. */
  int add(ValType type) {
    types.add(type);
    added.add(type);
    return types.size() - 1;
  }
}
