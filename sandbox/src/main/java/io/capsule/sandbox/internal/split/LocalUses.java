package io.capsule.sandbox.internal.split;

import java.util.List;

/** Counts the accesses to each local in a function body (glue included). */
final class LocalUses {
  private LocalUses() {}

  static int[] count(List<Node> body, FunctionLocals locals) {
    int[] uses = new int[locals.count()];
    add(body, uses);
    return uses;
  }

  private static void add(List<Node> nodes, int[] uses) {
    for (Node node : nodes) {
      if (node instanceof Node.Op op) {
        if (Opcodes.isLocalAccess(op.opcode())) {
          uses[Immediates.first(op)]++;
        }
      } else if (node instanceof Node.Structure structure) {
        structure.bodies().forEach(body -> add(body, uses));
      } else {
        add(((Node.Outlined) node).glue(), uses);
      }
    }
  }
}
