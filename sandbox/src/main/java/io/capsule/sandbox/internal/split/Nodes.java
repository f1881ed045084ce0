package io.capsule.sandbox.internal.split;

import java.util.List;

/** Sizes of node lists. */
final class Nodes {
  private Nodes() {}

  static int size(List<Node> nodes) {
    int size = 0;
    for (Node node : nodes) {
      size += node.size();
    }
    return size;
  }
}
