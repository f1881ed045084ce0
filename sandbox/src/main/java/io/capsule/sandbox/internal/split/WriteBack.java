package io.capsule.sandbox.internal.split;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a moved region hands back what its glue needs besides the exit code: the {@linkplain
 * ScratchGlobals scratch globals} for the split function's results (when the region may return),
 * for the locals it wrote that are read after it, and for its {@linkplain ExitSlots exit slots}.
 * Within one region they are all distinct; the region's function then returns at most one value,
 * the exit code, which Chicory's compiler returns as a JVM primitive (a multi-value result would be
 * a {@code long[]} allocated on every call).
 *
 * @param results the global of each of the function's results
 * @param returned the global of each {@linkplain RegionShape#returned() returned local}, in order
 * @param slots the global of each exit slot
 */
record WriteBack(int[] results, int[] returned, int[] slots) {

  static WriteBack of(RegionShape shape, FunctionLocals locals, ScratchGlobals globals) {
    Map<Integer, Integer> used = new HashMap<>();
    List<Integer> resultCodes =
        shape.returns() ? ValueCodes.codes(locals.results()) : List.<Integer>of();
    int[] results = take(resultCodes, used, globals);
    int[] returned = take(shape.returned().stream().map(locals::code).toList(), used, globals);
    int[] slots = take(shape.slots().codes(), used, globals);
    return new WriteBack(results, returned, slots);
  }

  private static int[] take(List<Integer> codes, Map<Integer, Integer> used, ScratchGlobals g) {
    int[] taken = new int[codes.size()];
    for (int i = 0; i < taken.length; i++) {
      int code = codes.get(i);
      taken[i] = g.global(code, used.merge(code, 1, Integer::sum) - 1);
    }
    return taken;
  }
}
