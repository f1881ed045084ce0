package io.capsule.sandbox.internal.split;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import io.capsule.sandbox.internal.meter.WasmWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The mutable globals the splitter adds, after the module's own, through which moved regions hand
 * values back to their glue (see {@link WriteBack}). They are shared by type across every region of
 * the module: the {@code k}-th global of type {@code t} serves whichever region needs a {@code
 * k}-th value of that type. Sharing is safe because a region writes them only just before it
 * returns and its glue reads them right after the call, with no call in between, so a region
 * entered again (recursion, or the same function deeper on the stack) can overwrite them only
 * before that write or after that read.
 */
final class ScratchGlobals {
  /** The global section's id. */
  static final int SECTION_ID = 6;

  private final int firstIndex;
  private final List<Integer> codes = new ArrayList<>();
  private final Map<Integer, List<Integer>> byType = new HashMap<>();

  ScratchGlobals(WasmModule module) {
    this.firstIndex =
        module.importSection().count(ExternalType.GLOBAL) + module.globalSection().globalCount();
  }

  /**
   * The index of the {@code k}-th scratch global of type {@code code}, added if there are fewer.
   */
  int global(int code, int k) {
    List<Integer> ofType = byType.computeIfAbsent(code, c -> new ArrayList<>());
    while (ofType.size() <= k) {
      codes.add(code);
      ofType.add(firstIndex + codes.size() - 1);
    }
    return ofType.get(k);
  }

  /** How many were added. */
  int count() {
    return codes.size();
  }

  /** The added globals as global section entries: mutable, initially zero (or null). */
  void writeEntries(WasmWriter out) {
    for (int code : codes) {
      out.u8(code).u8(1);
      ValueCodes.zero(code, out);
      out.u8(Opcodes.END);
    }
  }

  /** A global section holding only the added globals. */
  byte[] section() {
    var out = new WasmWriter().u32(codes.size());
    writeEntries(out);
    return out.toByteArray();
  }

  /**
   * Whether a section {@code id} must come after the global section (export, start, element, data
   * count, code, data): a module without globals gets its section before the first of these.
   */
  static boolean comesAfter(int id) {
    return id == 7 || id == 8 || id == 9 || id == 10 || id == 11 || id == 12;
  }
}
