package io.capsule.sandbox.internal.split;

import java.util.List;

/**
 * A run {@code [start, end)} of one body that could move out: the stack is empty where it starts,
 * and empty (or unreachable) where it ends.
 *
 * @param body the body (live: the splitter edits it)
 * @param start the first node
 * @param end one past the last node
 * @param size its size in bytes
 * @param labels the labels around it, innermost first, the function's last
 * @param fallsThrough whether execution may reach its end
 */
record Candidate(
    List<Node> body, int start, int end, int size, Label labels, boolean fallsThrough) {

  List<Node> nodes() {
    return body.subList(start, end);
  }

  /** Identifies the run across rounds (nodes are never copied). */
  Key key() {
    return new Key(body.get(start), body.get(end - 1));
  }

  record Key(Node first, Node last) {}
}
