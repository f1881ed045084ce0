package io.capsule.sandbox.internal.split;

/**
 * A label a branch may name: how many values a branch to it carries, and whether it is the
 * function's own (a branch to it returns); linked to the label around it, so nested bodies share
 * their enclosing chain.
 */
record Label(int arity, boolean function, Label outer) {

  /** The label a branch of relative depth {@code depth} names, from where this one is innermost. */
  Label at(int depth) {
    Label label = this;
    for (int i = 0; i < depth; i++) {
      label = label.outer;
    }
    return label;
  }
}
