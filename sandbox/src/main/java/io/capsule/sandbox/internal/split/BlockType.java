package io.capsule.sandbox.internal.split;

/**
 * How many values a structured instruction takes from the stack and leaves on it (besides the
 * condition an {@code if} pops).
 */
record BlockType(int params, int results) {
  static final BlockType EMPTY = new BlockType(0, 0);
}
