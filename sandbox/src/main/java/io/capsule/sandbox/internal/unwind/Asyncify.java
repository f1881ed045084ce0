package io.capsule.sandbox.internal.unwind;

import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import io.capsule.sandbox.internal.meter.WasmReader;
import io.capsule.sandbox.internal.meter.WasmWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Capsule's own Asyncify: makes a chosen set of functions able to unwind their frames into a buffer
 * in linear memory and to rebuild them from it, with the interface and buffer convention of
 * Binaryen's pass, so a host can stop a WebAssembly program inside an import and resume it later,
 * in another instance, from a copy of its memory and globals.
 *
 * <p>The module gets two mutable i32 globals (the state: 0 normal, 1 unwinding, 2 rewinding; and
 * the buffer's address) and five exported functions, appended after its own (no existing index
 * moves): {@code asyncify_start_unwind(data)}, {@code asyncify_stop_unwind()}, {@code
 * asyncify_start_rewind(data)}, {@code asyncify_stop_rewind()}, {@code asyncify_get_state()}. At
 * {@code data} the buffer holds its current pointer (i32), then its end (i32); the host sets the
 * current pointer to {@code data + 8} before the first unwind. An unwind pushes one frame per
 * instrumented function on the stack (innermost first); a rewind pops them in reverse, so that
 * after it the current pointer is back where the unwind started. A frame that does not fit before
 * the end traps ({@code unreachable}); nothing is written outside the buffer.
 *
 * <p>Only the given functions are rewritten (see {@link FunctionUnwinder}); in them, the calls that
 * may unwind are the direct calls to those functions and to the one import named, and every {@code
 * call_indirect}. The caller must name every function that is on the stack when an unwind starts.
 */
public final class Asyncify {
  /** The exported functions, in the order they are appended. */
  public static final List<String> EXPORTS =
      List.of(
          "asyncify_start_unwind",
          "asyncify_stop_unwind",
          "asyncify_start_rewind",
          "asyncify_stop_rewind",
          "asyncify_get_state");

  private static final int HEADER_SIZE = 8;
  private static final int TYPE = 1;
  private static final int FUNCTION = 3;
  private static final int GLOBAL = 6;
  private static final int EXPORT = 7;
  private static final int CODE = 10;
  private static final int[] ORDER = {1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11};
  private static final int[] ADDED_TO = {TYPE, FUNCTION, GLOBAL, EXPORT, CODE};

  private final byte[] bytes;
  private final ModuleFacts facts;
  private final Set<Integer> defined;
  private final Set<Integer> callees = new HashSet<>();
  private final int stateGlobal;
  private final int dataGlobal;
  private final WasmWriter out = new WasmWriter();
  private int lastOrder;

  private Asyncify(byte[] bytes, WasmModule module, Set<Integer> defined, int importIndex) {
    this.bytes = bytes;
    this.facts = new ModuleFacts(module);
    this.defined = defined;
    this.stateGlobal = facts.globalCount();
    this.dataGlobal = stateGlobal + 1;
    callees.add(importIndex);
    defined.forEach(d -> callees.add(facts.importedFunctions() + d));
  }

  /**
   * Rewrites {@code wasm} so that the functions {@code definedFunctions} (indices among the
   * module's defined functions, imports not counted) can unwind and rewind around calls to each
   * other, to the import {@code importModule.importName}, and through {@code call_indirect}.
   *
   * @throws AsyncifyRefusedException when a function holds a construct the pass does not model, or
   *     the module has no memory, no such import, or already exports the functions
   * @throws IllegalArgumentException when a function index is out of range
   */
  public static byte[] instrument(
      byte[] wasm, Collection<Integer> definedFunctions, String importModule, String importName) {
    WasmModule module = parse(wasm);
    int count = module.functionSection().functionCount();
    for (int index : definedFunctions) {
      if (index < 0 || index >= count) {
        throw new IllegalArgumentException("no defined function " + index + " (" + count + ")");
      }
    }
    if (module.memorySection().map(m -> m.memoryCount()).orElse(0) == 0
        && module.importSection().count(ExternalType.MEMORY) == 0) {
      throw new AsyncifyRefusedException("the module has no memory for the unwind buffer");
    }
    var exports = module.exportSection();
    for (int i = 0; i < exports.exportCount(); i++) {
      String name = exports.getExport(i).name();
      if (EXPORTS.contains(name)) {
        throw new AsyncifyRefusedException("the module already exports " + name);
      }
    }
    int importIndex = importIndex(module, importModule, importName);
    return new Asyncify(wasm, module, new TreeSet<>(definedFunctions), importIndex).rewrite();
  }

  private static WasmModule parse(byte[] wasm) {
    try {
      return Parser.parse(wasm);
    } catch (ChicoryException e) {
      throw new AsyncifyRefusedException("the module does not parse: " + e.getMessage());
    }
  }

  private static int importIndex(WasmModule module, String importModule, String importName) {
    int function = 0;
    var imports = module.importSection();
    for (int i = 0; i < imports.importCount(); i++) {
      var imported = imports.getImport(i);
      if (imported instanceof FunctionImport) {
        if (imported.module().equals(importModule) && imported.name().equals(importName)) {
          return function;
        }
        function++;
      }
    }
    throw new AsyncifyRefusedException(
        "the module imports no function " + importModule + "." + importName);
  }

  private byte[] rewrite() {
    out.bytes(bytes, 0, HEADER_SIZE);
    var in = new WasmReader(bytes, HEADER_SIZE);
    while (!in.atEnd()) {
      int id = in.u8();
      int size = in.u32();
      int start = in.position();
      if (id != 0) {
        addMissingBefore(order(id));
        lastOrder = order(id);
      }
      writeSection(id, start, start + size);
      in.seek(start + size);
    }
    addMissingBefore(Integer.MAX_VALUE);
    return out.toByteArray();
  }

  private static int order(int id) {
    for (int i = 0; i < ORDER.length; i++) {
      if (ORDER[i] == id) {
        return i + 1;
      }
    }
    throw new AsyncifyRefusedException("unknown section " + id);
  }

  private void addMissingBefore(int order) {
    for (int id : ADDED_TO) {
      int added = order(id);
      if (added > lastOrder && added < order) {
        writeSection(id, 0, 0);
        lastOrder = added;
      }
    }
  }

  private void writeSection(int id, int start, int end) {
    switch (id) {
      case TYPE -> out.section(id, types(start, end));
      case FUNCTION -> out.section(id, functions(start, end));
      case GLOBAL -> out.section(id, globals(start, end));
      case EXPORT -> out.section(id, exports(start, end));
      case CODE -> out.section(id, code(start, end));
      default -> out.section(id, Arrays.copyOfRange(bytes, start, end));
    }
  }

  /** Adds {@code (i32) -> ()}, {@code () -> ()} and {@code () -> (i32)}. */
  private byte[] types(int start, int end) {
    var section = countedPrefix(start, end, 3);
    section.u8(0x60).u32(1).u8(Codes.I32).u32(0);
    section.u8(0x60).u32(0).u32(0);
    section.u8(0x60).u32(0).u32(1).u8(Codes.I32);
    return section.toByteArray();
  }

  private byte[] functions(int start, int end) {
    int types = facts.typeCount();
    var section = countedPrefix(start, end, EXPORTS.size());
    section.u32(types).u32(types + 1L).u32(types).u32(types + 1L).u32(types + 2L);
    return section.toByteArray();
  }

  private byte[] globals(int start, int end) {
    var section = countedPrefix(start, end, 2);
    for (int i = 0; i < 2; i++) {
      section.u8(Codes.I32).u8(1).u8(Codes.I32_CONST).u8(0).u8(Codes.END);
    }
    return section.toByteArray();
  }

  private byte[] exports(int start, int end) {
    var section = countedPrefix(start, end, EXPORTS.size());
    for (int i = 0; i < EXPORTS.size(); i++) {
      section.name(EXPORTS.get(i)).u8(0).u32((long) facts.functionCount() + i);
    }
    return section.toByteArray();
  }

  private byte[] code(int start, int end) {
    var section = new WasmWriter();
    if (start == end) {
      section.u32(EXPORTS.size());
    } else {
      var in = new WasmReader(bytes, start);
      int count = in.u32();
      section.u32((long) count + EXPORTS.size());
      for (int i = 0; i < count; i++) {
        int size = in.u32();
        int bodyStart = in.position();
        byte[] body =
            defined.contains(i)
                ? unwind(i, bodyStart + size)
                : Arrays.copyOfRange(bytes, bodyStart, bodyStart + size);
        section.u32(body.length).bytes(body);
        in.seek(bodyStart + size);
      }
    }
    for (byte[] body : exportBodies()) {
      section.u32(body.length).bytes(body);
    }
    return section.toByteArray();
  }

  private byte[] unwind(int defined, int bodyEnd) {
    var body = facts.module().codeSection().getFunctionBody(defined);
    int index = facts.importedFunctions() + defined;
    try {
      List<Piece> tree = BodyTree.parse(bytes, bodyEnd, body.instructions(), facts);
      return FunctionUnwinder.unwind(
          facts,
          facts.ofFunction(index),
          ModuleFacts.codes(body.localTypes()),
          tree,
          callees,
          stateGlobal,
          dataGlobal);
    } catch (AsyncifyRefusedException e) {
      throw new AsyncifyRefusedException(
          "cannot make function " + index + " resumable: " + e.getMessage());
    }
  }

  private List<byte[]> exportBodies() {
    List<byte[]> bodies = new ArrayList<>();
    bodies.add(start(1));
    bodies.add(stop());
    bodies.add(start(2));
    bodies.add(stop());
    bodies.add(
        new WasmWriter().u32(0).u8(Codes.GLOBAL_GET).u32(stateGlobal).u8(Codes.END).toByteArray());
    return bodies;
  }

  /** {@code state = value; data = param}, then the buffer check. */
  private byte[] start(int value) {
    var fn = new WasmWriter().u32(0);
    fn.u8(Codes.I32_CONST).u8(value).u8(Codes.GLOBAL_SET).u32(stateGlobal);
    fn.u8(Codes.LOCAL_GET).u8(0).u8(Codes.GLOBAL_SET).u32(dataGlobal);
    checkBuffer(fn);
    return fn.u8(Codes.END).toByteArray();
  }

  private byte[] stop() {
    var fn = new WasmWriter().u32(0);
    fn.u8(Codes.I32_CONST).u8(0).u8(Codes.GLOBAL_SET).u32(stateGlobal);
    checkBuffer(fn);
    return fn.u8(Codes.END).toByteArray();
  }

  /** Traps when the buffer's current pointer is past its end. */
  private void checkBuffer(WasmWriter fn) {
    fn.u8(Codes.GLOBAL_GET).u32(dataGlobal).u8(Codes.I32_LOAD).u8(0).u8(0);
    fn.u8(Codes.GLOBAL_GET).u32(dataGlobal).u8(Codes.I32_LOAD).u8(0).u8(4);
    fn.u8(Codes.I32_GT_U).u8(Codes.IF).u8(Codes.EMPTY_BLOCK).u8(Codes.UNREACHABLE).u8(Codes.END);
  }

  private WasmWriter countedPrefix(int start, int end, int added) {
    if (start == end) {
      return new WasmWriter().u32(added);
    }
    var in = new WasmReader(bytes, start);
    long count = Integer.toUnsignedLong(in.u32());
    return new WasmWriter().u32(count + added).bytes(bytes, in.position(), end);
  }
}
