package io.capsule.sandbox.internal.split;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The nodes of a function's tree numbered in pre-order, so that a run of sibling nodes is a span
 * {@code [first, end)} of numbers: whether a run holds a region moved in an earlier round (an
 * {@link Node.Outlined}) and whether it overlaps one moved in this round are then answered without
 * walking it. Built once per round, in one walk of the tree.
 */
final class NodeSpans {
  private final Map<Node, int[]> spans = new IdentityHashMap<>();
  private final List<Integer> outlinedPrefix = new ArrayList<>();
  private final TreeMap<Integer, Integer> moved = new TreeMap<>();
  private int next;

  NodeSpans(List<Node> root) {
    outlinedPrefix.add(0);
    number(root);
  }

  private void number(List<Node> body) {
    for (Node node : body) {
      int first = next++;
      outlinedPrefix.add(outlinedPrefix.get(first) + (node instanceof Node.Outlined ? 1 : 0));
      if (node instanceof Node.Structure structure) {
        structure.bodies().forEach(this::number);
      }
      spans.put(node, new int[] {first, next});
    }
  }

  /** The span of {@code nodes}, a non-empty run of siblings, as numbered when this was built. */
  int[] of(List<Node> nodes) {
    return new int[] {spans.get(nodes.get(0))[0], spans.get(nodes.get(nodes.size() - 1))[1]};
  }

  /** Whether the span holds {@code node} (false for null and for a node no longer in the tree). */
  boolean holds(int[] span, Node node) {
    int[] own = node == null ? null : spans.get(node);
    return own != null && own[0] >= span[0] && own[0] < span[1];
  }

  /** Whether the span holds a region moved in an earlier round. */
  boolean holdsOutlined(int[] span) {
    return outlinedPrefix.get(span[1]) - outlinedPrefix.get(span[0]) > 0;
  }

  /** Whether the span overlaps (holds, or lies in) a span {@linkplain #move moved} this round. */
  boolean overlapsMoved(int[] span) {
    // the spans moved are disjoint: the one starting last before this one's end is the only one
    // that can reach into it
    var last = moved.lowerEntry(span[1]);
    return last != null && last.getValue() > span[0];
  }

  /** Records that the nodes of {@code span}, which overlaps none moved before, moved out. */
  void move(int[] span) {
    moved.put(span[0], span[1]);
  }
}
