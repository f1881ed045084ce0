package io.capsule.sandbox.internal.split;

import io.capsule.sandbox.internal.meter.WasmWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The code that stands where a region was: pass the locals it uses, call the function it moved to,
 * take back the exit code and (from the {@linkplain WriteBack scratch globals}) the locals it
 * wrote, and leave the way the region left.
 *
 * <pre>
 *   local.get passed...  call $region  [local.set $code]
 *   (global.get $g  local.set returned)...
 *   [if ($code == return) { global.get $results...; return }]
 *   [if ($code == j+1) { global.get $slots of exit j...; br (exit label + 1) }]...  (exits with values)
 *   [block  local.get $code  br_table 0 (exit label + 1)...  end]
 *   [unreachable, when the region never falls through its end]
 * </pre>
 *
 * <p>No call runs between the region's writes to the globals and these reads, so a region that
 * recursively enters the same function cannot clobber them. None of it is metered: the fuel code is
 * part of the region, and the region's function counts in the same counter (a local it is passed
 * and hands back, or the global).
 */
final class Glue {
  private Glue() {}

  /**
   * The glue for a region moved to {@code function}, keeping the exit code in local {@code code}
   * (unused when the region has no exits) and taking what the region hands back from {@code back}.
   */
  static List<Node> of(RegionShape shape, int function, int code, WriteBack back) {
    var glue = new ArrayList<Node>();
    shape.passed().forEach(local -> glue.add(withIndex(Opcodes.LOCAL_GET, local)));
    glue.add(withIndex(Opcodes.CALL, function));
    List<Integer> exits = shape.exits();
    if (!exits.isEmpty()) {
      glue.add(withIndex(Opcodes.LOCAL_SET, code));
    }
    List<Integer> returned = shape.returned();
    for (int i = 0; i < returned.size(); i++) {
      glue.add(withIndex(Opcodes.GLOBAL_GET, back.returned()[i]));
      glue.add(withIndex(Opcodes.LOCAL_SET, returned.get(i)));
    }
    if (shape.returns()) {
      addReturn(glue, code, exits.indexOf(RegionShape.RETURN) + 1, back.results());
    }
    for (int j = 0; j < exits.size(); j++) {
      int[] slots = shape.slots().of(exits.get(j));
      if (slots.length > 0) {
        addBranchWithValues(glue, code, j + 1, exits.get(j), slots, back.slots());
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

  private static void addReturn(List<Node> glue, int code, int returnCode, int[] results) {
    glue.add(withIndex(Opcodes.LOCAL_GET, code));
    glue.add(op(Opcodes.I32_CONST, new WasmWriter().u8(Opcodes.I32_CONST).s64(returnCode)));
    glue.add(op(Opcodes.I32_EQ, new WasmWriter().u8(Opcodes.I32_EQ)));
    var ifReturn = emptyBlock(Opcodes.IF);
    for (int global : results) {
      ifReturn.bodies().get(0).add(withIndex(Opcodes.GLOBAL_GET, global));
    }
    ifReturn.bodies().get(0).add(op(Opcodes.RETURN, new WasmWriter().u8(Opcodes.RETURN)));
    glue.add(ifReturn);
  }

  private static boolean hasPlainExit(RegionShape shape) {
    for (int exit : shape.exits()) {
      if (exit != RegionShape.RETURN && shape.slots().of(exit).length == 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code if ($code == exitCode) { global.get $slots...; br (exit + 1) }}: leaves by an exit whose
   * label carries values, taking them from the slots' globals.
   */
  private static void addBranchWithValues(
      List<Node> glue, int code, int exitCode, int exit, int[] slots, int[] slotGlobals) {
    glue.add(withIndex(Opcodes.LOCAL_GET, code));
    glue.add(op(Opcodes.I32_CONST, new WasmWriter().u8(Opcodes.I32_CONST).s64(exitCode)));
    glue.add(op(Opcodes.I32_EQ, new WasmWriter().u8(Opcodes.I32_EQ)));
    var ifTaken = emptyBlock(Opcodes.IF);
    for (int slot : slots) {
      ifTaken.bodies().get(0).add(withIndex(Opcodes.GLOBAL_GET, slotGlobals[slot]));
    }
    ifTaken.bodies().get(0).add(withIndex(Opcodes.BR, exit + 1));
    glue.add(ifTaken);
  }

  /**
   * {@code block (local.get $code) (br_table ...) end}: code 0 falls through, j+1 takes exit j (the
   * codes of return and of exits with values, already taken above, fall through too).
   */
  private static Node dispatch(int code, RegionShape shape) {
    List<Integer> exits = shape.exits();
    var out = new WasmWriter().u8(Opcodes.BR_TABLE).u32(exits.size() + 1L).u32(0);
    for (int exit : exits) {
      boolean plain = exit != RegionShape.RETURN && shape.slots().of(exit).length == 0;
      out.u32(plain ? exit + 1L : 0);
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
