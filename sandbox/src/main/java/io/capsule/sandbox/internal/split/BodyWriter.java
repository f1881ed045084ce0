package io.capsule.sandbox.internal.split;

import io.capsule.sandbox.internal.meter.WasmWriter;
import java.util.List;

/**
 * Writes nodes as code, in the function that holds them: the function being split (where nothing is
 * renumbered) or a function a region moved to, where locals become its parameters, branches out of
 * the region become branches to the exit blocks that wrap it, and {@code return} a branch to the
 * exit that returns.
 */
final class BodyWriter {
  private final WasmWriter out;
  private final int[] localMap;
  private final List<Integer> exits;

  private BodyWriter(WasmWriter out, int[] localMap, List<Integer> exits) {
    this.out = out;
    this.localMap = localMap;
    this.exits = exits;
  }

  /** A writer for the function being split. */
  static BodyWriter inPlace(WasmWriter out) {
    return new BodyWriter(out, null, null);
  }

  /**
   * A writer for a moved-out region: {@code localMap} maps the split function's local indices to
   * the new function's; exit {@code j} of {@code exits} is the {@code j}-th block around the region
   * (innermost first).
   */
  static BodyWriter moved(WasmWriter out, int[] localMap, List<Integer> exits) {
    return new BodyWriter(out, localMap, exits);
  }

  void write(List<Node> nodes, int nesting) {
    for (Node node : nodes) {
      if (node instanceof Node.Op op) {
        write(op, nesting);
      } else if (node instanceof Node.Structure structure) {
        write(structure, nesting);
      } else {
        write(((Node.Outlined) node).glue(), nesting);
      }
    }
  }

  private void write(Node.Structure structure, int nesting) {
    out.bytes(structure.opener().bytes());
    List<List<Node>> bodies = structure.bodies();
    for (int i = 0; i < bodies.size(); i++) {
      if (i > 0) {
        out.u8(Opcodes.ELSE);
      }
      write(bodies.get(i), nesting + 1);
    }
    out.u8(Opcodes.END);
  }

  private void write(Node.Op op, int nesting) {
    int opcode = op.opcode();
    if (Opcodes.isLocalAccess(opcode)) {
      int index = Immediates.first(op);
      out.u8(opcode).u32(localMap == null ? index : localMap[index]);
    } else if (opcode == Opcodes.BR || opcode == Opcodes.BR_IF) {
      out.u8(opcode).u32(label(Immediates.first(op), nesting));
    } else if (opcode == Opcodes.BR_TABLE) {
      int[] labels = Immediates.branchTable(op);
      out.u8(opcode).u32(labels.length - 1L);
      for (int label : labels) {
        out.u32(label(label, nesting));
      }
    } else if (opcode == Opcodes.RETURN && exits != null) {
      out.u8(Opcodes.BR).u32(nesting + exits.indexOf(RegionShape.RETURN));
    } else {
      out.bytes(op.bytes());
    }
  }

  /** The label a branch at {@code nesting} levels inside the region names, written for here. */
  private int label(int depth, int nesting) {
    if (exits == null || depth < nesting) {
      return depth;
    }
    int exit = exits.indexOf(depth - nesting);
    if (exit < 0) {
      exit = exits.indexOf(RegionShape.RETURN); // the function's own label
    }
    return nesting + exit;
  }
}
