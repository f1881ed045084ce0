package io.capsule.sandbox.internal.split;

import io.capsule.sandbox.internal.meter.WasmWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The function a region moves to. It takes the region's passed locals as parameters (in the split
 * function's order), declares its internal ones (see {@link RegionShape}), and returns at most one
 * value: the exit code (0: fell through its end; j+1: left by exit j), when the region has exits.
 * Everything else its glue needs goes through {@linkplain WriteBack scratch globals}, written just
 * before it returns: the split function's results when it left by {@code return}, the values a
 * branch out carried (its {@linkplain ExitSlots exit slots}), and the returned locals.
 *
 * <pre>
 *   block $done
 *     block (exit m-1) ... block (exit 0)   ;; each typed as its label (the function's results for return)
 *       region                              ;; branches out now target the exit blocks
 *       i32.const 0  local.set $code  br $done
 *     end (global.set $slot)...  i32.const 1  local.set $code  br $done
 *     ...
 *   end
 *   (local.get returned  global.set $g)...  local.get $code
 * </pre>
 *
 * <p>The returned locals are written back once, after the exits meet, so that a region with many
 * exits and many returned locals does not repeat them per exit. Without exits it is just the region
 * and the write-back.
 *
 * <p>A multi-value result would cost an array per call: Chicory's compiler returns a function's
 * only result as a JVM primitive, but several as a {@code long[]}.
 *
 * @param typeIndex the index of its type
 * @param body its body, encoded (locals declaration and code)
 */
record MovedRegion(int typeIndex, byte[] body) {

  static MovedRegion of(
      List<Node> region,
      RegionShape shape,
      FunctionLocals locals,
      AddedTypes types,
      WriteBack back) {
    List<Integer> passed = shape.passed();
    int[] localMap = new int[locals.count()];
    var params = new ArrayList<Integer>();
    for (int i = 0; i < passed.size(); i++) {
      localMap[passed.get(i)] = i;
      params.add(locals.code(passed.get(i)));
    }
    List<Integer> internal = shape.internal();
    List<Integer> exits = shape.exits();
    var out = new WasmWriter().u32(internal.size() + (exits.isEmpty() ? 0L : 1L));
    for (int i = 0; i < internal.size(); i++) {
      localMap[internal.get(i)] = passed.size() + i;
      out.u32(1).u8(locals.code(internal.get(i)));
    }
    int code = passed.size() + internal.size();
    if (!exits.isEmpty()) {
      out.u32(1).u8(0x7F); // the exit code
    }
    var writeBack = new WasmWriter();
    List<Integer> returned = shape.returned();
    for (int i = 0; i < returned.size(); i++) {
      writeBack.u8(Opcodes.LOCAL_GET).u32(localMap[returned.get(i)]);
      writeBack.u8(Opcodes.GLOBAL_SET).u32(back.returned()[i]);
    }
    if (exits.isEmpty()) {
      BodyWriter.moved(out, localMap, exits).write(region, 0);
      if (!shape.fallsThrough()) {
        writeBack = new WasmWriter().u8(Opcodes.UNREACHABLE); // the code after it may leave values
      }
      return new MovedRegion(
          types.of(params, List.of()),
          out.bytes(writeBack.toByteArray()).u8(Opcodes.END).toByteArray());
    }
    out.u8(Opcodes.BLOCK).u8(Opcodes.EMPTY_BLOCK_TYPE);
    for (int j = exits.size() - 1; j >= 0; j--) {
      out.u8(Opcodes.BLOCK);
      writeBlockType(out, exitCodes(exits.get(j), shape, locals), types);
    }
    BodyWriter.moved(out, localMap, exits).write(region, 0);
    if (shape.fallsThrough()) {
      leave(out, code, 0, exits.size());
    } else {
      out.u8(Opcodes.UNREACHABLE);
    }
    for (int j = 0; j < exits.size(); j++) {
      out.u8(Opcodes.END);
      int exit = exits.get(j);
      spill(out, exit == RegionShape.RETURN ? back.results() : slotGlobals(shape, exit, back));
      leave(out, code, j + 1, exits.size() - 1 - j);
    }
    out.u8(Opcodes.END).bytes(writeBack.toByteArray());
    out.u8(Opcodes.LOCAL_GET).u32(code).u8(Opcodes.END);
    return new MovedRegion(types.of(params, List.of(0x7F)), out.toByteArray());
  }

  /** {@code i32.const exitCode local.set $code br depth}: on to the write-back. */
  private static void leave(WasmWriter out, int code, int exitCode, int depth) {
    out.u8(Opcodes.I32_CONST).s64(exitCode).u8(Opcodes.LOCAL_SET).u32(code);
    out.u8(Opcodes.BR).u32(depth);
  }

  /** Moves the values an exit carried from the stack into their globals. */
  private static void spill(WasmWriter out, int[] globals) {
    for (int i = globals.length - 1; i >= 0; i--) {
      out.u8(Opcodes.GLOBAL_SET).u32(globals[i]);
    }
  }

  /** The values a branch out by {@code exit} carries: the block type of its exit block. */
  private static List<Integer> exitCodes(int exit, RegionShape shape, FunctionLocals locals) {
    return exit == RegionShape.RETURN ? ValueCodes.codes(locals.results()) : shape.exitTypes(exit);
  }

  /** The globals of the values exit {@code exit} carries, in stack order. */
  private static int[] slotGlobals(RegionShape shape, int exit, WriteBack back) {
    int[] slots = shape.slots().of(exit);
    int[] globals = new int[slots.length];
    for (int i = 0; i < slots.length; i++) {
      globals[i] = back.slots()[slots[i]];
    }
    return globals;
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
}
