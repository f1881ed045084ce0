package io.capsule.sandbox.internal.split;

import io.capsule.sandbox.internal.meter.WasmWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The code that stands where a region was: pass the locals it uses, call the function it moved to,
 * take back the locals it wrote (and the exit code), and leave the way the region left.
 *
 * <pre>
 *   local.get passed...  call $region  local.set returned... (reversed)  local.set $code
 *   [local.set $results... ; if ($code == return) { local.get $results...; return }]
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
   * (unused when the region has no exits) and the function's results in {@code resultTemps} (when
   * it may return): locals of this glue alone, so that a larger region holding it later keeps them
   * internal.
   */
  static List<Node> of(RegionShape shape, int function, int code, int[] resultTemps) {
    var glue = new ArrayList<Node>();
    shape.passed().forEach(local -> glue.add(withIndex(Opcodes.LOCAL_GET, local)));
    glue.add(withIndex(Opcodes.CALL, function));
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
    if (exits.size() > (shape.returns() ? 1 : 0)) {
      glue.add(dispatch(code, exits));
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

  /** {@code block (local.get $code) (br_table ...) end}: code 0 falls through, j+1 takes exit j. */
  private static Node dispatch(int code, List<Integer> exits) {
    var out = new WasmWriter().u8(Opcodes.BR_TABLE).u32(exits.size() + 1L).u32(0);
    for (int exit : exits) {
      out.u32(exit == RegionShape.RETURN ? 0 : exit + 1L);
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
