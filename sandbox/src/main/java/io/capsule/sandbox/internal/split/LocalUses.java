package io.capsule.sandbox.internal.split;

import java.util.Arrays;
import java.util.List;

/**
 * Counts the accesses to each local in a function body (glue included), and keeps the count when a
 * region moves out ({@link #moved}) without walking the whole body again.
 */
final class LocalUses {
  private LocalUses() {}

  static int[] count(List<Node> body, FunctionLocals locals) {
    int[] uses = new int[locals.count()];
    add(body, uses, 1);
    return uses;
  }

  /**
   * The counts after {@code region} was replaced by {@code glue}: a copy of {@code uses}, with room
   * for the {@code count} locals the function has now.
   */
  static int[] moved(int[] uses, List<Node> region, List<Node> glue, int count) {
    int[] after = Arrays.copyOf(uses, count);
    add(region, after, -1);
    add(glue, after, 1);
    return after;
  }

  private static void add(List<Node> nodes, int[] uses, int sign) {
    for (Node node : nodes) {
      if (node instanceof Node.Op op) {
        if (Opcodes.isLocalAccess(op.opcode())) {
          uses[Immediates.first(op)] += sign;
        }
      } else if (node instanceof Node.Structure structure) {
        structure.bodies().forEach(body -> add(body, uses, sign));
      } else {
        add(((Node.Outlined) node).glue(), uses, sign);
      }
    }
  }
}
