package io.capsule.sandbox.internal.split;

import java.util.List;

/**
 * What a structured instruction takes from the stack and leaves on it (besides the condition an
 * {@code if} pops), as value type encodings ({@link ValueCodes#UNSUPPORTED} for a type the splitter
 * cannot pass).
 *
 * @param paramCodes the types it takes
 * @param resultCodes the types it leaves
 */
record BlockType(List<Integer> paramCodes, List<Integer> resultCodes) {
  static final BlockType EMPTY = new BlockType(List.of(), List.of());

  /** Copies the lists. */
  BlockType {
    paramCodes = List.copyOf(paramCodes);
    resultCodes = List.copyOf(resultCodes);
  }

  int params() {
    return paramCodes.size();
  }

  int results() {
    return resultCodes.size();
  }
}
