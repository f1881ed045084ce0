package io.capsule.sandbox.internal.split;

import io.capsule.sandbox.internal.meter.WasmWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Function types the splitter adds after the module's own, each once. */
final class AddedTypes {
  private static final int FUNC_TYPE = 0x60;

  private final int firstIndex;
  private final List<byte[]> encoded = new ArrayList<>();
  private final Map<String, Integer> indices = new HashMap<>();

  AddedTypes(int firstIndex) {
    this.firstIndex = firstIndex;
  }

  /** The index of the type {@code params -> results} (value type encodings). */
  int of(List<Integer> params, List<Integer> results) {
    var out = new WasmWriter().u8(FUNC_TYPE).u32(params.size());
    params.forEach(out::u8);
    out.u32(results.size());
    results.forEach(out::u8);
    byte[] bytes = out.toByteArray();
    String key = java.util.HexFormat.of().formatHex(bytes);
    return indices.computeIfAbsent(
        key,
        k -> {
          encoded.add(bytes);
          return firstIndex + encoded.size() - 1;
        });
  }

  /** How many types are added so far: a mark to {@linkplain #rollBack roll back} to. */
  int mark() {
    return encoded.size();
  }

  /** Forgets the types added since {@code mark} (a split attempt that was dropped). */
  void rollBack(int mark) {
    while (encoded.size() > mark) {
      byte[] last = encoded.remove(encoded.size() - 1);
      indices.remove(java.util.HexFormat.of().formatHex(last));
    }
  }

  /** The added types, encoded, in index order. */
  List<byte[]> encoded() {
    return encoded;
  }
}
