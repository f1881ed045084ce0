package io.capsule.sandbox.internal.split;

import java.util.List;

/**
 * A label a branch may name: the types of the values a branch to it carries (as value type
 * encodings), whether it is the function's own (a branch to it returns), and whether it is a {@code
 * loop}'s (a branch to it goes back); linked to the label around it, so nested bodies share their
 * enclosing chain.
 */
record Label(List<Integer> types, boolean function, boolean loop, Label outer) {

  /** How many values a branch to it carries. */
  int arity() {
    return types.size();
  }

  /** The label a branch of relative depth {@code depth} names, from where this one is innermost. */
  Label at(int depth) {
    Label label = this;
    for (int i = 0; i < depth; i++) {
      label = label.outer;
    }
    return label;
  }
}
