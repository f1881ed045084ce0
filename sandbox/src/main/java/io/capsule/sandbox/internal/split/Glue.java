package io.capsule.sandbox.internal.split;

import io.capsule.sandbox.internal.meter.WasmWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The code that stands where a region was: pass the locals it uses, call the function it moved to,
 * take back the locals it wrote (and the exit code), and leave the way the region left.
 *
 * <pre>
 *   local.get passed...  call $region  local.set $slots... local.set returned... (reversed)
 *   local.set $code
 *   [local.set $results... ; if ($code == return) { local.get $results...; return }]
 *   [if ($code == j+1) { local.get $slots of exit j...; br (exit label + 1) }]...  (exits with values)
 *   [br_if (exit label) ($code == j+1)]...                       (exits back to a loop, see below)
 *   [block  local.get $code  br_table 0 (exit label + 1)...  end]
 *   [unreachable, when the region never falls through its end]
 * </pre>
 *
 * <p>None of it is metered: the fuel code is part of the region, and the region's function counts
 * in the same counter (a local it is passed and returns, or the global).
 */
final class Glue {
  private Glue() {}

  /**
   * The glue for a region moved to {@code function}, keeping the exit code in local {@code code}
   * (unused when the region has no exits), the function's results in {@code resultTemps} (when it
   * may return) and the exit slots in {@code slotTemps}: {@linkplain FunctionLocals#isScratch
   * scratch locals} every glue shares, written here after the call and read only here, so that a
   * larger region holding this glue later keeps them internal.
   */
  static List<Node> of(
      RegionShape shape, int function, int code, int[] resultTemps, int[] slotTemps) {
    var glue = new ArrayList<Node>();
    shape.passed().forEach(local -> glue.add(withIndex(Opcodes.LOCAL_GET, local)));
    glue.add(withIndex(Opcodes.CALL, function));
    for (int i = slotTemps.length - 1; i >= 0; i--) {
      glue.add(withIndex(Opcodes.LOCAL_SET, slotTemps[i]));
    }
    List<Integer> returned = shape.returned();
    for (int i = returned.size() - 1; i >= 0; i--) {
      glue.add(withIndex(Opcodes.LOCAL_SET, returned.get(i)));
    }
    List<Integer> exits = shape.exits();
    if (!exits.isEmpty()) {
      glue.add(withIndex(Opcodes.LOCAL_SET, code));
    }
    if (shape.returns()) {
      addReturn(glue, code, exits.indexOf(RegionShape.RETURN) + 1, resultTemps);
    }
    for (int j = 0; j < exits.size(); j++) {
      int[] slots = shape.slots().of(exits.get(j));
      if (slots.length > 0) {
        addBranchWithValues(glue, code, j + 1, exits.get(j), slots, slotTemps);
      } else if (loopsBack(shape, exits.get(j))) {
        addBranchBack(glue, code, j + 1, exits.get(j));
      }
    }
    if (hasPlainExit(shape)) {
      glue.add(dispatch(code, shape));
    }
    if (!shape.fallsThrough()) {
      glue.add(op(Opcodes.UNREACHABLE, new WasmWriter().u8(Opcodes.UNREACHABLE)));
    }
    return glue;
  }

  private static void addReturn(List<Node> glue, int code, int returnCode, int[] temps) {
    for (int i = temps.length - 1; i >= 0; i--) {
      glue.add(withIndex(Opcodes.LOCAL_SET, temps[i]));
    }
    glue.add(withIndex(Opcodes.LOCAL_GET, code));
    glue.add(op(Opcodes.I32_CONST, new WasmWriter().u8(Opcodes.I32_CONST).s64(returnCode)));
    glue.add(op(Opcodes.I32_EQ, new WasmWriter().u8(Opcodes.I32_EQ)));
    var ifReturn = emptyBlock(Opcodes.IF);
    for (int temp : temps) {
      ifReturn.bodies().get(0).add(withIndex(Opcodes.LOCAL_GET, temp));
    }
    ifReturn.bodies().get(0).add(op(Opcodes.RETURN, new WasmWriter().u8(Opcodes.RETURN)));
    glue.add(ifReturn);
  }

  private static boolean hasPlainExit(RegionShape shape) {
    for (int exit : shape.exits()) {
      if (isPlain(shape, exit)) {
        return true;
      }
    }
    return false;
  }

  /** An exit the {@link #dispatch} takes: no values, not {@code return}, not back to a loop. */
  private static boolean isPlain(RegionShape shape, int exit) {
    return exit != RegionShape.RETURN
        && shape.slots().of(exit).length == 0
        && !shape.loopsBack(exit);
  }

  private static boolean loopsBack(RegionShape shape, int exit) {
    return exit != RegionShape.RETURN && shape.loopsBack(exit);
  }

  /**
   * {@code br_if exit (code == exitCode)}: an exit back to a loop leaves by a branch of its own,
   * not through the {@code br_table} of the {@link #dispatch}. Chicory compiles a {@code br_table}
   * to a {@code tableswitch}, and HotSpot counts back edges (and compiles a running loop, on-stack
   * replacement) only at {@code goto} and {@code if} bytecodes: a dispatch loop whose cases all
   * moved out, entered once and looping through the glue's tables, would never be compiled.
   */
  private static void addBranchBack(List<Node> glue, int code, int exitCode, int exit) {
    glue.add(withIndex(Opcodes.LOCAL_GET, code));
    glue.add(op(Opcodes.I32_CONST, new WasmWriter().u8(Opcodes.I32_CONST).s64(exitCode)));
    glue.add(op(Opcodes.I32_EQ, new WasmWriter().u8(Opcodes.I32_EQ)));
    glue.add(withIndex(Opcodes.BR_IF, exit));
  }

  /**
   * {@code if ($code == exitCode) { local.get $slots...; br (exit + 1) }}: leaves by an exit whose
   * label carries values, taking them from the slots.
   */
  private static void addBranchWithValues(
      List<Node> glue, int code, int exitCode, int exit, int[] slots, int[] slotTemps) {
    glue.add(withIndex(Opcodes.LOCAL_GET, code));
    glue.add(op(Opcodes.I32_CONST, new WasmWriter().u8(Opcodes.I32_CONST).s64(exitCode)));
    glue.add(op(Opcodes.I32_EQ, new WasmWriter().u8(Opcodes.I32_EQ)));
    var ifTaken = emptyBlock(Opcodes.IF);
    for (int slot : slots) {
      ifTaken.bodies().get(0).add(withIndex(Opcodes.LOCAL_GET, slotTemps[slot]));
    }
    ifTaken.bodies().get(0).add(withIndex(Opcodes.BR, exit + 1));
    glue.add(ifTaken);
  }

  /**
   * {@code block (local.get $code) (br_table ...) end}: code 0 falls through, j+1 takes exit j (the
   * codes of return, of exits with values and of exits back to a loop, already taken above, fall
   * through too).
   */
  private static Node dispatch(int code, RegionShape shape) {
    List<Integer> exits = shape.exits();
    var out = new WasmWriter().u8(Opcodes.BR_TABLE).u32(exits.size() + 1L).u32(0);
    for (int exit : exits) {
      out.u32(isPlain(shape, exit) ? exit + 1L : 0);
    }
    out.u32(0);
    var block = emptyBlock(Opcodes.BLOCK);
    block.bodies().get(0).add(withIndex(Opcodes.LOCAL_GET, code));
    block.bodies().get(0).add(op(Opcodes.BR_TABLE, out));
    return block;
  }

  private static Node.Structure emptyBlock(int opcode) {
    return new Node.Structure(
        op(opcode, new WasmWriter().u8(opcode).u8(Opcodes.EMPTY_BLOCK_TYPE)), BlockType.EMPTY);
  }

  private static Node.Op withIndex(int opcode, int index) {
    return op(opcode, new WasmWriter().u8(opcode).u32(index));
  }

  private static Node.Op op(int opcode, WasmWriter bytes) {
    return new Node.Op(opcode, bytes.toByteArray());
  }
}
