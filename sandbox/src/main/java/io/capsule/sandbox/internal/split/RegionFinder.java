package io.capsule.sandbox.internal.split;

import java.util.ArrayList;
import java.util.List;

/**
 * Finds, in every body of a function (but not inside a {@code try_table}), the runs that could move
 * out: for each place the operand stack is empty, the longest run from there that fits in {@code
 * maxSize} and ends where the stack is empty again, or unreachable, or at the body's end. It also
 * measures the function.
 */
final class RegionFinder {
  private final ModuleTypes types;
  private final int maxSize;
  private final List<Candidate> found = new ArrayList<>();

  private RegionFinder(ModuleTypes types, int maxSize) {
    this.types = types;
    this.maxSize = maxSize;
  }

  /** The candidates of a function body, and (as {@code size[0]}) the body's size. */
  static List<Candidate> find(
      List<Node> root, List<Integer> results, ModuleTypes types, int maxSize, int[] size) {
    var finder = new RegionFinder(types, maxSize);
    size[0] =
        finder.body(root, new BlockType(List.of(), results), new Label(results, true, false, null));
    return finder.found;
  }

  /** Scans one body (and those inside it); returns its size. */
  private int body(List<Node> body, BlockType type, Label labels) {
    int n = body.size();
    int[] prefix = new int[n + 1];
    boolean[] canStart = new boolean[n + 1];
    boolean[] reachableAt = new boolean[n + 1];
    int height = type.params();
    boolean known = true;
    boolean reachable = true;
    for (int i = 0; i < n; i++) {
      reachableAt[i] = reachable;
      canStart[i] = reachable && known && height == 0;
      Node node = body.get(i);
      prefix[i + 1] = prefix[i] + measure(node, labels);
      int net = net(node);
      known &= net != StackEffects.UNKNOWN;
      height += known ? net : 0;
      reachable &= !endsReachability(node);
    }
    reachableAt[n] = reachable;
    boolean[] canEnd = new boolean[n + 1];
    for (int i = 0; i < n; i++) {
      canEnd[i] = canStart[i] || !reachableAt[i];
    }
    canEnd[n] = !reachable || type.results() == 0;
    collect(body, labels, prefix, canStart, canEnd, reachableAt);
    return prefix[n];
  }

  private void collect(
      List<Node> body,
      Label labels,
      int[] prefix,
      boolean[] canStart,
      boolean[] canEnd,
      boolean[] reachableAt) {
    int n = body.size();
    int[] lastEnd = new int[n + 1];
    for (int i = 0; i <= n; i++) {
      lastEnd[i] = canEnd[i] ? i : (i > 0 ? lastEnd[i - 1] : -1);
    }
    int limit = 0;
    for (int start = 0; start < n; start++) {
      if (!canStart[start]) {
        continue;
      }
      limit = Math.max(limit, start);
      while (limit < n && prefix[limit + 1] - prefix[start] <= maxSize) {
        limit++;
      }
      int end = lastEnd[limit];
      if (end > start) {
        found.add(
            new Candidate(body, start, end, prefix[end] - prefix[start], labels, reachableAt[end]));
      }
    }
  }

  /** A node's size; a structure's bodies are scanned on the way. */
  private int measure(Node node, Label labels) {
    if (!(node instanceof Node.Structure structure)) {
      return node.size();
    }
    int size = structure.opener().size() + structure.bodies().size();
    var inner = new Label(structure.labelTypes(), false, structure.isLoop(), labels);
    for (List<Node> body : structure.bodies()) {
      size += structure.isTryTable() ? Nodes.size(body) : body(body, structure.type(), inner);
    }
    return size;
  }

  private int net(Node node) {
    if (node instanceof Node.Op op) {
      return StackEffects.net(op, types);
    }
    if (node instanceof Node.Structure s) {
      return s.type().results() - s.type().params() - (s.isIf() ? 1 : 0);
    }
    return 0;
  }

  private static boolean endsReachability(Node node) {
    if (node instanceof Node.Op op) {
      return StackEffects.endsReachability(op.opcode());
    }
    return node instanceof Node.Outlined outlined && !outlined.fallsThrough();
  }
}
