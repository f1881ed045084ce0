package io.capsule.sandbox.internal.split;

import java.util.List;

/**
 * What the splitter did to a module.
 *
 * @param threshold the body size, in bytes, above which a function was split
 * @param functionsSplit how many functions were split
 * @param functionsAdded how many functions the moved regions became
 * @param leftLarge the functions still larger than the threshold (nothing more could move)
 */
public record SplitReport(
    int threshold, int functionsSplit, int functionsAdded, List<LargeFunction> leftLarge) {

  /** Copies the list. */
  public SplitReport {
    leftLarge = List.copyOf(leftLarge);
  }

  /**
   * A function the splitter could not bring under the threshold.
   *
   * @param index its index in the module
   * @param originalSize its body size before splitting, in bytes
   * @param size its body size after, in bytes
   */
  public record LargeFunction(int index, int originalSize, int size) {}
}
