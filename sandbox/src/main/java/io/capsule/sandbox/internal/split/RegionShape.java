package io.capsule.sandbox.internal.split;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a run of nodes needs to become a function of its own: which locals it needs passed in and
 * handed back, and where control leaves it besides falling through its end: outer labels, by depth
 * relative to the region's start, and {@link #RETURN} for {@code return} or a branch to the
 * function's label.
 *
 * <p>A local the region uses is <em>internal</em> (a plain local of the new function, neither
 * passed nor returned) when nothing outside the region uses it and the region never reads it before
 * writing it: reaching an instruction of a body means its earlier siblings ran, so a read preceded
 * by a write among the earlier siblings of its own or an enclosing body (within the region) cannot
 * see a value from before the region. Every other local it uses is passed in, and every other local
 * it writes is returned. (Compilers keep a case's temporaries in locals of their own, so most of a
 * large region's locals are internal.)
 *
 * <p>A branch out to a label that carries values is an exit like any other; the values travel in
 * the new function's results ({@link ExitSlots}). A region is refused (no shape) when it holds a
 * {@code try_table} (an exception caught inside the old function must see the locals the region
 * wrote), a tail call, a GC branch, a branch out carrying a value of a type it cannot pass, a local
 * of such a type, or more locals than one JVM method takes as parameters.
 */
final class RegionShape {
  /** The exit taken by {@code return} and branches to the function's label. */
  static final int RETURN = -1;

  /**
   * At most this many results for the new function: Chicory returns them in a {@code long[]}, but a
   * bound keeps the glue's size and the added types in proportion.
   */
  static final int MAX_RESULTS = 1_000;

  /** Chicory passes a function's parameters as JVM arguments up to this many slots. */
  static final int MAX_PARAMETER_SLOTS = 253;

  private final Label labels;
  private final Map<Integer, Integer> uses = new HashMap<>();
  private final Set<Integer> written = new HashSet<>();
  private final Set<Integer> readBeforeWritten = new HashSet<>();
  private final TreeSet<Integer> passed = new TreeSet<>();
  private final TreeSet<Integer> returned = new TreeSet<>();
  private final TreeSet<Integer> internal = new TreeSet<>();
  private final List<Integer> exits = new ArrayList<>();
  private final Map<Integer, List<Integer>> exitTypes = new HashMap<>();
  private final Set<Integer> loopExits = new HashSet<>();
  private final boolean fallsThrough;
  private ExitSlots slots;

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
      List<Node> nodes,
      Label labels,
      boolean fallsThrough,
      FunctionLocals locals,
      int[] functionUses) {
    var shape = new RegionShape(labels, fallsThrough);
    if (!shape.walk(nodes, 0, new HashSet<>())) {
      return null;
    }
    shape.classify(functionUses, locals);
    shape.slots = new ExitSlots(shape.exits, shape.exitTypes);
    return shape.passable(locals) ? shape : null;
  }

  /** Where the values that the region's exits carry travel (see {@link ExitSlots}). */
  ExitSlots slots() {
    return slots;
  }

  /**
   * The value types a branch out by {@code exit} carries (empty for most; the function's results
   * for {@link #RETURN} are not listed here).
   */
  List<Integer> exitTypes(int exit) {
    return exitTypes.getOrDefault(exit, List.of());
  }

  /** The locals passed in, in index order. */
  List<Integer> passed() {
    return List.copyOf(passed);
  }

  /** The locals handed back, in index order. */
  List<Integer> returned() {
    return List.copyOf(returned);
  }

  /** The locals the new function keeps to itself, in index order. */
  List<Integer> internal() {
    return List.copyOf(internal);
  }

  /**
   * Internal, passed or returned (see the class comment); a glue's {@linkplain
   * FunctionLocals#isScratch scratch local} used outside too stays internal, as no value in it
   * crosses from one glue to another.
   */
  private void classify(int[] functionUses, FunctionLocals locals) {
    uses.forEach(
        (local, count) -> {
          boolean usedOutside = functionUses[local] > count && !locals.isScratch(local);
          if (!usedOutside && !readBeforeWritten.contains(local)) {
            internal.add(local);
          } else {
            passed.add(local);
            if (written.contains(local)) {
              returned.add(local);
            }
          }
        });
  }

  List<Integer> exits() {
    return exits;
  }

  /** Whether {@code exit} branches back to a {@code loop}'s label. */
  boolean loopsBack(int exit) {
    return loopExits.contains(exit);
  }

  boolean returns() {
    return exits.contains(RETURN);
  }

  boolean fallsThrough() {
    return fallsThrough;
  }

  /** Walks a body; {@code assigned} holds the locals surely written on the way here. */
  private boolean walk(List<Node> nodes, int nesting, Set<Integer> assigned) {
    for (Node node : nodes) {
      boolean ok;
      if (node instanceof Node.Op op) {
        ok = visit(op, nesting, assigned);
      } else if (node instanceof Node.Structure s) {
        ok = !s.isTryTable() && walkBodies(s, nesting + 1, assigned);
      } else {
        ok = walk(((Node.Outlined) node).glue(), nesting, assigned);
      }
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private boolean walkBodies(Node.Structure structure, int nesting, Set<Integer> assigned) {
    for (List<Node> body : structure.bodies()) {
      if (!walk(body, nesting, new HashSet<>(assigned))) {
        return false;
      }
    }
    return true;
  }

  private boolean visit(Node.Op op, int nesting, Set<Integer> assigned) {
    int opcode = op.opcode();
    if (Opcodes.forbiddenInRegion(opcode)) {
      return false;
    }
    if (Opcodes.isLocalAccess(opcode)) {
      int index = Immediates.first(op);
      uses.merge(index, 1, Integer::sum);
      if (opcode == Opcodes.LOCAL_GET) {
        if (!assigned.contains(index)) {
          readBeforeWritten.add(index);
        }
      } else {
        written.add(index);
        assigned.add(index);
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
    if (label.types().contains(ValueCodes.UNSUPPORTED)) {
      return false;
    }
    addExit(depth - nesting);
    if (label.loop()) {
      loopExits.add(depth - nesting);
    }
    if (label.arity() != 0) {
      exitTypes.put(depth - nesting, label.types());
    }
    return true;
  }

  private void addExit(int exit) {
    if (!exits.contains(exit)) {
      exits.add(exit);
    }
  }

  /** How many results the new function has: see {@link MovedRegion}. */
  int resultCount(FunctionLocals locals) {
    return (returns() ? locals.results().size() : 0)
        + (exits.isEmpty() ? 0 : 1)
        + returned.size()
        + slots.codes().size();
  }

  private boolean passable(FunctionLocals locals) {
    for (int local : internal) {
      if (locals.code(local) == ValueCodes.UNSUPPORTED) {
        return false;
      }
    }
    int slots = 0;
    for (int local : passed) {
      int code = locals.code(local);
      if (code == ValueCodes.UNSUPPORTED) {
        return false;
      }
      slots += ValueCodes.slots(code);
    }
    return slots <= MAX_PARAMETER_SLOTS
        && (!returns() || locals.resultsPassable())
        && resultCount(locals) <= MAX_RESULTS;
  }
}
