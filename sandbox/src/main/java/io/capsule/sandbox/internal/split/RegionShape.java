package io.capsule.sandbox.internal.split;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * What a run of nodes needs to become a function of its own: the locals it touches (passed in) and
 * writes (passed back), and where control leaves it besides falling through its end: outer labels,
 * by depth relative to the region's start, and {@link #RETURN} for {@code return} or a branch to
 * the function's label.
 *
 * <p>A region is refused (no shape) when it holds a {@code try_table} (an exception caught inside
 * the old function must see the locals the region wrote), a tail call, a GC branch, a branch out to
 * a label that carries values (other than the function's), a local of a type it cannot pass, or
 * more locals than one JVM method takes as parameters.
 */
final class RegionShape {
  /** The exit taken by {@code return} and branches to the function's label. */
  static final int RETURN = -1;

  /** Chicory passes a function's parameters as JVM arguments up to this many slots. */
  static final int MAX_PARAMETER_SLOTS = 253;

  private final Label labels;
  private final TreeSet<Integer> used = new TreeSet<>();
  private final TreeSet<Integer> written = new TreeSet<>();
  private final List<Integer> exits = new ArrayList<>();
  private final boolean fallsThrough;

  private RegionShape(Label labels, boolean fallsThrough) {
    this.labels = labels;
    this.fallsThrough = fallsThrough;
  }

  /**
   * Analyses {@code nodes}, which start where {@code labels} (innermost, linked to those around it)
   * is the enclosing label.
   *
   * @return the shape, or null when the region must stay where it is
   */
  static RegionShape of(
      List<Node> nodes, Label labels, boolean fallsThrough, FunctionLocals locals) {
    var shape = new RegionShape(labels, fallsThrough);
    if (!shape.walk(nodes, 0) || !shape.passable(locals)) {
      return null;
    }
    return shape;
  }

  List<Integer> used() {
    return List.copyOf(used);
  }

  List<Integer> written() {
    return List.copyOf(written);
  }

  List<Integer> exits() {
    return exits;
  }

  boolean returns() {
    return exits.contains(RETURN);
  }

  boolean fallsThrough() {
    return fallsThrough;
  }

  private boolean walk(List<Node> nodes, int nesting) {
    for (Node node : nodes) {
      boolean ok;
      if (node instanceof Node.Op op) {
        ok = visit(op, nesting);
      } else if (node instanceof Node.Structure s) {
        ok = !s.isTryTable() && walkBodies(s, nesting + 1);
      } else {
        ok = walk(((Node.Outlined) node).glue(), nesting);
      }
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private boolean walkBodies(Node.Structure structure, int nesting) {
    for (List<Node> body : structure.bodies()) {
      if (!walk(body, nesting)) {
        return false;
      }
    }
    return true;
  }

  private boolean visit(Node.Op op, int nesting) {
    int opcode = op.opcode();
    if (Opcodes.forbiddenInRegion(opcode)) {
      return false;
    }
    if (Opcodes.isLocalAccess(opcode)) {
      int index = Immediates.first(op);
      used.add(index);
      if (opcode != Opcodes.LOCAL_GET) {
        written.add(index);
      }
    } else if (opcode == Opcodes.RETURN) {
      addExit(RETURN);
    } else if (Opcodes.isBranch(opcode)) {
      for (int depth : Immediates.labels(op)) {
        if (!branch(depth, nesting)) {
          return false;
        }
      }
    }
    return true;
  }

  private boolean branch(int depth, int nesting) {
    if (depth < nesting) {
      return true;
    }
    Label label = labels.at(depth - nesting);
    if (label.function()) {
      addExit(RETURN);
      return true;
    }
    if (label.arity() != 0) {
      return false;
    }
    addExit(depth - nesting);
    return true;
  }

  private void addExit(int exit) {
    if (!exits.contains(exit)) {
      exits.add(exit);
    }
  }

  private boolean passable(FunctionLocals locals) {
    int slots = 0;
    for (int local : used) {
      int code = locals.code(local);
      if (code == ValueCodes.UNSUPPORTED) {
        return false;
      }
      slots += ValueCodes.slots(code);
    }
    return slots <= MAX_PARAMETER_SLOTS && (!returns() || locals.resultsPassable());
  }
}
