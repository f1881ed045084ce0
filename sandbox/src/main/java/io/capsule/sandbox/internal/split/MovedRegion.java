package io.capsule.sandbox.internal.split;

import io.capsule.sandbox.internal.meter.WasmWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The function a region moves to. It takes the region's passed locals as parameters (in the split
 * function's order), declares its internal ones (see {@link RegionShape}), and returns, as one
 * multi-value result: the split function's results when the region may return (zeros on the other
 * exits), the exit code (0: fell through its end; j+1: left by exit j), and the returned locals.
 *
 * <pre>
 *   block (exit m-1) ... block (exit 0)
 *     region                     ;; branches out now target the exit blocks
 *     [zeros] i32.const 0 local.get returned... return
 *   end [zeros] i32.const 1 local.get returned... return
 *   ...
 * </pre>
 *
 * @param typeIndex the index of its type
 * @param body its body, encoded (locals declaration and code)
 */
record MovedRegion(int typeIndex, byte[] body) {

  static MovedRegion of(
      List<Node> region, RegionShape shape, FunctionLocals locals, AddedTypes types) {
    List<Integer> passed = shape.passed();
    int[] localMap = new int[locals.count()];
    var params = new ArrayList<Integer>();
    for (int i = 0; i < passed.size(); i++) {
      localMap[passed.get(i)] = i;
      params.add(locals.code(passed.get(i)));
    }
    List<Integer> internal = shape.internal();
    var out = new WasmWriter().u32(internal.size());
    for (int i = 0; i < internal.size(); i++) {
      localMap[internal.get(i)] = passed.size() + i;
      out.u32(1).u8(locals.code(internal.get(i)));
    }
    List<Integer> exits = shape.exits();
    for (int j = exits.size() - 1; j >= 0; j--) {
      out.u8(Opcodes.BLOCK);
      writeBlockType(out, exits.get(j) == RegionShape.RETURN, locals, types);
    }
    BodyWriter.moved(out, localMap, exits).write(region, 0);
    writeTail(out, 0, false, shape, locals, localMap);
    for (int j = 0; j < exits.size(); j++) {
      out.u8(Opcodes.END);
      writeTail(out, j + 1, exits.get(j) == RegionShape.RETURN, shape, locals, localMap);
    }
    out.u8(Opcodes.END);
    int type = types.of(params, results(shape, locals));
    return new MovedRegion(type, out.toByteArray());
  }

  private static List<Integer> results(RegionShape shape, FunctionLocals locals) {
    var results = new ArrayList<Integer>();
    if (shape.returns()) {
      locals.results().forEach(t -> results.add(ValueCodes.code(t)));
    }
    if (!shape.exits().isEmpty()) {
      results.add(0x7F);
    }
    shape.returned().forEach(w -> results.add(locals.code(w)));
    return results;
  }

  private static void writeBlockType(
      WasmWriter out, boolean returns, FunctionLocals locals, AddedTypes types) {
    var results = locals.results();
    if (!returns || results.isEmpty()) {
      out.u8(Opcodes.EMPTY_BLOCK_TYPE);
    } else if (results.size() == 1) {
      out.u8(ValueCodes.code(results.get(0)));
    } else {
      var codes = new ArrayList<Integer>();
      results.forEach(t -> codes.add(ValueCodes.code(t)));
      out.s64(types.of(List.of(), codes));
    }
  }

  /** Leaves the function by exit {@code code}, with the function's results on the stack or not. */
  private static void writeTail(
      WasmWriter out,
      int code,
      boolean resultsOnStack,
      RegionShape shape,
      FunctionLocals locals,
      int[] localMap) {
    if (shape.returns() && !resultsOnStack) {
      locals.results().forEach(t -> ValueCodes.zero(ValueCodes.code(t), out));
    }
    if (!shape.exits().isEmpty()) {
      out.u8(Opcodes.I32_CONST).s64(code);
    }
    for (int returned : shape.returned()) {
      out.u8(Opcodes.LOCAL_GET).u32(localMap[returned]);
    }
    out.u8(Opcodes.RETURN);
  }
}
