package io.capsule.sandbox.internal.meter;

/** The order in which known sections must appear in a module (ids are not in that order). */
final class SectionOrder {
  /** Section ids in their required order: type … tag, global … element, data count, code, data. */
  private static final int[] IDS_IN_ORDER = {1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11};

  private SectionOrder() {}

  /** The position of section {@code id} in the required order. */
  static int of(int id) {
    for (int i = 0; i < IDS_IN_ORDER.length; i++) {
      if (IDS_IN_ORDER[i] == id) {
        return i + 1;
      }
    }
    throw new IllegalArgumentException("unknown section id " + id);
  }
}
