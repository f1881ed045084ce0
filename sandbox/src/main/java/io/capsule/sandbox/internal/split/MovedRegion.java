package io.capsule.sandbox.internal.split;

import io.capsule.sandbox.internal.meter.WasmWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The function a region moves to. It takes the region's passed locals as parameters (in the split
 * function's order), declares its internal ones (see {@link RegionShape}), one local per exit slot
 * and one for the exit code, and returns, as one multi-value result: the split function's results
 * when the region may return (zeros on the other exits), the exit code (0: fell through its end;
 * j+1: left by exit j), the returned locals, and the {@linkplain ExitSlots exit slots} (the values
 * a branch out carried; whatever the slot's local holds otherwise).
 *
 * <p>Every exit but {@code return} sets the code and meets the others at one tail that hands the
 * locals back, so the tail is written once, not once per exit: a region of a dispatch loop leaves
 * by dozens of exits with dozens of locals, and a tail per exit made its JVM method several
 * kilobytes larger (and harder for HotSpot to compile).
 *
 * <pre>
 *   block $done
 *     block (exit m-1) ... block (exit 0)   ;; each typed as its label (the function's results for return)
 *       region                              ;; branches out now target the exit blocks
 *       i32.const 0 local.set $code br $done
 *     end [local.set slots (reversed)] i32.const 1 local.set $code br $done
 *     ...                                   ;; return's exit: results on the stack, its own tail
 *   end
 *   [zeros] local.get $code local.get returned... local.get slots... return
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
    List<Integer> slots = shape.slots().codes();
    List<Integer> exits = shape.exits();
    int codeLocals = exits.isEmpty() ? 0 : 1;
    var out = new WasmWriter().u32((long) internal.size() + slots.size() + codeLocals);
    for (int i = 0; i < internal.size(); i++) {
      localMap[internal.get(i)] = passed.size() + i;
      out.u32(1).u8(locals.code(internal.get(i)));
    }
    slots.forEach(code -> out.u32(1).u8(code));
    int firstSlot = passed.size() + internal.size();
    if (exits.isEmpty()) {
      BodyWriter.moved(out, localMap, exits).write(region, 0);
      new Tail(shape, locals, localMap, firstSlot, -1).write(out, false);
    } else {
      out.u32(1).u8(0x7F);
      var tail = new Tail(shape, locals, localMap, firstSlot, firstSlot + slots.size());
      writeExits(out, region, shape, localMap, tail, locals, types);
    }
    out.u8(Opcodes.END);
    int type = types.of(params, results(shape, locals));
    return new MovedRegion(type, out.toByteArray());
  }

  /** The region inside its exit blocks and {@code $done}, each exit's code, and the one tail. */
  private static void writeExits(
      WasmWriter out,
      List<Node> region,
      RegionShape shape,
      int[] localMap,
      Tail tail,
      FunctionLocals locals,
      AddedTypes types) {
    List<Integer> exits = shape.exits();
    int m = exits.size();
    out.u8(Opcodes.BLOCK).u8(Opcodes.EMPTY_BLOCK_TYPE);
    for (int j = m - 1; j >= 0; j--) {
      out.u8(Opcodes.BLOCK);
      writeBlockType(out, exitCodes(exits.get(j), shape, locals), types);
    }
    BodyWriter.moved(out, localMap, exits).write(region, 0);
    tail.leave(out, 0, m);
    for (int j = 0; j < m; j++) {
      out.u8(Opcodes.END);
      int exit = exits.get(j);
      if (exit == RegionShape.RETURN) {
        tail.returnWithResults(out, j + 1);
      } else {
        tail.spill(out, shape.slots().of(exit));
        tail.leave(out, j + 1, m - 1 - j);
      }
    }
    out.u8(Opcodes.END);
    tail.write(out, false);
  }

  /** The values a branch out by {@code exit} carries: the block type of its exit block. */
  private static List<Integer> exitCodes(int exit, RegionShape shape, FunctionLocals locals) {
    return exit == RegionShape.RETURN ? ValueCodes.codes(locals.results()) : shape.exitTypes(exit);
  }

  private static List<Integer> results(RegionShape shape, FunctionLocals locals) {
    var results = new ArrayList<Integer>();
    if (shape.returns()) {
      results.addAll(ValueCodes.codes(locals.results()));
    }
    if (!shape.exits().isEmpty()) {
      results.add(0x7F);
    }
    shape.returned().forEach(w -> results.add(locals.code(w)));
    results.addAll(shape.slots().codes());
    return results;
  }

  private static void writeBlockType(WasmWriter out, List<Integer> codes, AddedTypes types) {
    if (codes.isEmpty()) {
      out.u8(Opcodes.EMPTY_BLOCK_TYPE);
    } else if (codes.size() == 1) {
      out.u8(codes.get(0));
    } else {
      out.s64(types.of(List.of(), codes));
    }
  }

  /**
   * Leaving the new function: its results, built from the locals and the stack; {@code codeLocal}
   * holds the exit code (-1 when the region has no exits).
   */
  private record Tail(
      RegionShape shape, FunctionLocals locals, int[] localMap, int firstSlot, int codeLocal) {

    /** Moves the values an exit carried from the stack into their slots' locals. */
    void spill(WasmWriter out, int[] slots) {
      for (int i = slots.length - 1; i >= 0; i--) {
        out.u8(Opcodes.LOCAL_SET).u32(firstSlot + slots[i]);
      }
    }

    /** Sets the exit code to {@code code} and branches to {@code $done}, {@code depth} out. */
    void leave(WasmWriter out, int code, int depth) {
      out.u8(Opcodes.I32_CONST).s64(code).u8(Opcodes.LOCAL_SET).u32(codeLocal);
      if (depth > 0) {
        out.u8(Opcodes.BR).u32(depth);
      }
    }

    /** Returns by exit {@code code}, the function's results on the stack. */
    void returnWithResults(WasmWriter out, int code) {
      out.u8(Opcodes.I32_CONST).s64(code);
      handBack(out);
    }

    /** The one tail: the function's results (zeros, or none), the exit code, locals and slots. */
    void write(WasmWriter out, boolean resultsOnStack) {
      if (shape.returns() && !resultsOnStack) {
        locals.results().forEach(t -> ValueCodes.zero(ValueCodes.code(t), out));
      }
      if (codeLocal >= 0) {
        out.u8(Opcodes.LOCAL_GET).u32(codeLocal);
      }
      handBack(out);
    }

    private void handBack(WasmWriter out) {
      for (int returned : shape.returned()) {
        out.u8(Opcodes.LOCAL_GET).u32(localMap[returned]);
      }
      for (int i = 0; i < shape.slots().codes().size(); i++) {
        out.u8(Opcodes.LOCAL_GET).u32(firstSlot + i);
      }
      out.u8(Opcodes.RETURN);
    }
  }
}
