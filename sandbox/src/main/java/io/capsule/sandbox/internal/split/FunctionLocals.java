package io.capsule.sandbox.internal.split;

import com.dylibso.chicory.wasm.types.ValType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The locals of a function being split (parameters, declared locals, then the few the glue adds),
 * and its result types. Every moved-out region numbers its locals in this space; its function takes
 * the ones it uses as parameters.
 *
 * <p>The glue's locals (the exit code, the results and exit slots it takes from the call) are
 * <em>scratch</em>: each glue writes them right after its call and reads them only within itself,
 * so no value in one crosses from one glue to another, and every glue shares them (the {@code k}-th
 * of each type it needs). A local per glue gave CPython's eval loop 240 locals beside its 18: C1
 * then gave up on it ("out of virtual registers"), leaving it to the bytecode interpreter until C2
 * got round to it, seconds later.
 */
final class FunctionLocals {
  private final List<ValType> types;
  private final List<ValType> results;
  private final List<ValType> added = new ArrayList<>();
  private final Map<ValType, List<Integer>> scratchByType = new HashMap<>();
  private final Set<Integer> scratch = new HashSet<>();

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

  /** Whether {@code index} is a glue's scratch local (see the class comment). */
  boolean isScratch(int index) {
    return scratch.contains(index);
  }

  /**
   * The scratch locals for a glue that needs {@code needed} (one per entry: the {@code k}-th entry
   * of a type gets that type's {@code k}-th scratch local). Those not there yet get the indices
   * {@link #addScratch} gives them; this call adds none.
   */
  int[] scratch(List<ValType> needed) {
    return allocate(needed, false);
  }

  /** Adds the scratch locals {@link #scratch} named but the function does not have yet. */
  void addScratch(List<ValType> needed) {
    allocate(needed, true);
  }

  /** How many locals {@link #addScratch} would add for {@code needed}. */
  int scratchMissing(List<ValType> needed) {
    int[] indices = allocate(needed, false);
    int missing = 0;
    for (int index : indices) {
      missing += index >= count() ? 1 : 0;
    }
    return missing;
  }

  private int[] allocate(List<ValType> needed, boolean add) {
    int[] indices = new int[needed.size()];
    Map<ValType, Integer> taken = new HashMap<>();
    int next = count();
    for (int i = 0; i < indices.length; i++) {
      ValType type = needed.get(i);
      int k = taken.merge(type, 1, Integer::sum) - 1;
      List<Integer> ofType = scratchByType.getOrDefault(type, List.of());
      if (k < ofType.size()) {
        indices[i] = ofType.get(k);
      } else if (add) {
        indices[i] = add(type);
        scratch.add(indices[i]);
        scratchByType.computeIfAbsent(type, t -> new ArrayList<>()).add(indices[i]);
      } else {
        indices[i] = next++;
      }
    }
    return indices;
  }
}
