package io.capsule.sandbox.internal.split;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The results through which a moved region hands back the values its exits carry (a branch out to a
 * label with results, or a loop's parameters). Exits share them by type: the {@code k}-th value of
 * type {@code t} an exit carries goes in the {@code k}-th slot of type {@code t}, so a region with
 * many exits to labels of the same type needs few slots.
 */
final class ExitSlots {
  private final List<Integer> codes = new ArrayList<>();
  private final Map<Integer, int[]> byExit = new HashMap<>();

  /** The slots for {@code exits}, where {@code types} gives the values each exit carries. */
  ExitSlots(List<Integer> exits, Map<Integer, List<Integer>> types) {
    for (int exit : exits) {
      List<Integer> carried = types.getOrDefault(exit, List.of());
      if (carried.isEmpty()) {
        continue;
      }
      Map<Integer, Integer> seen = new HashMap<>();
      int[] slots = new int[carried.size()];
      for (int i = 0; i < slots.length; i++) {
        int code = carried.get(i);
        slots[i] = slot(code, seen.merge(code, 1, Integer::sum) - 1);
      }
      byExit.put(exit, slots);
    }
  }

  /** The slots' types, in result order. */
  List<Integer> codes() {
    return codes;
  }

  /** The slot of each value exit {@code exit} carries, in stack order (bottom first). */
  int[] of(int exit) {
    return byExit.getOrDefault(exit, new int[0]);
  }

  /** The {@code k}-th slot of type {@code code}, added if there are fewer. */
  private int slot(int code, int k) {
    int found = 0;
    for (int i = 0; i < codes.size(); i++) {
      if (codes.get(i) == code && found++ == k) {
        return i;
      }
    }
    codes.add(code);
    return codes.size() - 1;
  }
}
