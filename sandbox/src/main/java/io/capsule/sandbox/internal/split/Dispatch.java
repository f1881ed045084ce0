package io.capsule.sandbox.internal.split;

import java.util.List;

/**
 * Finds a function's dispatch: its {@code br_table} with the most targets, when it has at least a
 * given number. An interpreter's opcode {@code switch} compiles to such a table over nested case
 * blocks inside a loop (CPython's {@code _PyEval_EvalFrameDefault}, QuickJS's {@code
 * JS_CallInternal}); the splitter keeps it in the function it splits.
 */
final class Dispatch {
  private Node.Op best;
  private int bestTargets;

  private Dispatch(int minTargets) {
    this.bestTargets = minTargets - 1;
  }

  /** The dispatch of the body {@code root}, or null when no table has {@code minTargets}. */
  static Node.Op find(List<Node> root, int minTargets) {
    var dispatch = new Dispatch(minTargets);
    dispatch.scan(root);
    return dispatch.best;
  }

  private void scan(List<Node> body) {
    for (Node node : body) {
      if (node instanceof Node.Op op && op.opcode() == Opcodes.BR_TABLE) {
        int targets = Immediates.branchTable(op).length - 1;
        if (targets > bestTargets) {
          best = op;
          bestTargets = targets;
        }
      } else if (node instanceof Node.Structure structure) {
        structure.bodies().forEach(this::scan);
      }
    }
  }
}
