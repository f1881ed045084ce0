package io.capsule.sandbox.internal.split;

import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.UnknownCustomSection;
import io.capsule.protocol.InternalException;
import io.capsule.sandbox.internal.meter.WasmReader;
import io.capsule.sandbox.internal.meter.WasmWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Splits every function whose body is too large for Chicory to compile into one JVM method.
 *
 * <p>Chicory's compiler turns each WebAssembly function into one JVM method; the JVM caps a
 * method's bytecode at 64 KB, and Chicory runs a function above that in its interpreter, 75–175
 * times slower (CPython's eval loop among them). This pass moves single-entry regions of such a
 * body — runs of sibling instructions that start and end with an empty operand stack: a case of a
 * {@code br_table} dispatch, the body of a block or loop, a stretch of a long straight body — into
 * new functions appended to the module, until the body fits under the piece size (see {@link
 * #DEFAULT_PIECE_SIZE}). A moved region takes the locals it uses as parameters and returns those it
 * writes, and reports how it left (fell through, branched to an outer label, returned) as an i32
 * code the glue in its place dispatches on (see {@link Glue}, {@link MovedRegion}). Run after the
 * fuel instrumentation, it moves the fuel code like any other: a region charges the same counter (a
 * local passed in and back, or the global), and the glue is not metered, so fuel is identical.
 * Traps are the same; only the call depth grows by one frame per region entered, so stack
 * exhaustion comes a little sooner.
 *
 * <p>Existing function indices do not change (new functions come last, none exported), so exports,
 * tables, element segments and the {@code name} section stay valid; a {@value #SECTION} custom
 * section records where the added functions start ({@link #isAdded}).
 */
public final class FunctionSplitter {
  /**
   * The default threshold: 30,000 bytes of body. Chicory emits 1.0–1.6 bytes of JVM bytecode per
   * byte of WebAssembly (instrumented CPython), so the largest piece stays well under the JVM's
   * 65,535-byte method limit; see {@code docs/} for the measurement.
   */
  public static final int DEFAULT_THRESHOLD = 30_000;

  /**
   * The default piece size: a function the splitter splits (one above the threshold) is split into
   * regions of at most this many bytes and a body left under it; functions between the piece size
   * and the threshold stay whole. The default is the threshold itself (as before there was a piece
   * size): 8,000-byte pieces (7–13 KB of JVM bytecode), which HotSpot's C2 compiles where it
   * refuses the 42–45 KB of a 30,000-byte piece, made QuickJS's loop ~3–10× slower; CPython asks
   * for them ({@link #pieceSize(int)}), its loop steadier and faster so. See {@code
   * docs/function-splitting.md}.
   */
  public static final int DEFAULT_PIECE_SIZE = DEFAULT_THRESHOLD;

  /**
   * Bodies above this size are left as they are (reported): the splitter's tree costs tens of bytes
   * per operator, and a hostile module could hold one function of tens of megabytes. The largest
   * function of CPython 3.12 is 106 KB.
   */
  static final int MAX_SPLIT_BODY = 2 << 20;

  private static final int HEADER_SIZE = 8;
  private static final int TYPE = 1;
  private static final int FUNCTION = 3;
  private static final int CODE = 10;

  private final byte[] bytes;
  private final WasmModule module;
  private final ModuleTypes types;
  private final AddedTypes addedTypes;
  private final int threshold;
  private final int pieceSize;
  private final List<byte[]> bodies = new ArrayList<>();
  private final List<MovedRegion> added = new ArrayList<>();
  private final List<SplitReport.LargeFunction> leftLarge = new ArrayList<>();
  private int functionsSplit;

  private FunctionSplitter(byte[] bytes, WasmModule module, int threshold, int pieceSize) {
    this.bytes = bytes;
    this.module = module;
    this.types = new ModuleTypes(module);
    this.addedTypes = new AddedTypes(types.typeCount());
    this.threshold = threshold;
    this.pieceSize = pieceSize;
  }

  /** The custom section that marks a split module: the number of functions it had before. */
  public static final String SECTION = "capsule.split";

  /**
   * A module after splitting, with what was done.
   *
   * @param bytes the module (the same bytes when nothing was split)
   * @param module the module as Chicory parsed and validated it
   * @param report what was split
   */
  public record Split(byte[] bytes, WasmModule module, SplitReport report) {}

  /**
   * The system property that overrides the {@linkplain #DEFAULT_THRESHOLD default threshold} (a
   * tuning knob for measurements: e.g. {@code -Dcapsule.split.threshold=8000}).
   */
  public static final String THRESHOLD_PROPERTY = "capsule.split.threshold";

  /**
   * The system property that overrides the {@linkplain #DEFAULT_PIECE_SIZE default piece size} (a
   * tuning knob for measurements: e.g. {@code -Dcapsule.split.piece=8000}).
   */
  public static final String PIECE_PROPERTY = "capsule.split.piece";

  /** The piece size in force: {@value #PIECE_PROPERTY}, else the default. */
  public static int pieceSize() {
    return pieceSize(DEFAULT_PIECE_SIZE);
  }

  /**
   * The piece size in force for a module whose preparer prefers {@code preferred} (an interpreter
   * whose dispatch runs fastest in pieces of that size): {@value #PIECE_PROPERTY} when set, else
   * {@code preferred}.
   */
  public static int pieceSize(int preferred) {
    return Integer.getInteger(PIECE_PROPERTY, preferred);
  }

  /** The threshold in force: {@value #THRESHOLD_PROPERTY}, else the default. */
  public static int threshold() {
    return Integer.getInteger(THRESHOLD_PROPERTY, DEFAULT_THRESHOLD);
  }

  /**
   * {@link #split(byte[], WasmModule, int, int)} at the {@linkplain #threshold() threshold} and
   * {@linkplain #pieceSize() piece size} in force.
   */
  public static Split split(byte[] bytes, WasmModule module) {
    return split(bytes, module, threshold(), pieceSize());
  }

  /**
   * The key under which to cache the split form of the module with SHA-256 {@code sha256}, split at
   * the threshold in force into pieces of {@code pieceSize}: it names the splitter's code,
   * threshold and piece size, so a changed splitter splits again.
   */
  public static String cacheKey(String sha256, int pieceSize) {
    String identity =
        sha256 + " split " + threshold() + " " + pieceSize + " " + SplitterFingerprint.value();
    return io.capsule.protocol.Sha256.hex(
        identity.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /**
   * Splits the functions of {@code bytes} (which {@code module} was parsed and validated from)
   * whose bodies are larger than {@code threshold} bytes.
   *
   * @return the module (the same bytes when nothing was split) and the report
   */
  public static Split split(byte[] bytes, WasmModule module, int threshold) {
    return split(bytes, module, threshold, threshold);
  }

  /**
   * Splits the functions of {@code bytes} (which {@code module} was parsed and validated from)
   * whose bodies are larger than {@code threshold} bytes into regions, and a body left, of at most
   * {@code min(threshold, pieceSize)} bytes.
   *
   * @return the module (the same bytes when nothing was split) and the report
   */
  public static Split split(byte[] bytes, WasmModule module, int threshold, int pieceSize) {
    if (threshold < 1 || pieceSize < 1) {
      throw new IllegalArgumentException(
          "threshold and piece size must be positive: " + threshold + ", " + pieceSize);
    }
    var splitter = new FunctionSplitter(bytes, module, threshold, Math.min(threshold, pieceSize));
    byte[] result = splitter.rewrite();
    var report =
        new SplitReport(
            threshold, splitter.functionsSplit, splitter.added.size(), splitter.leftLarge);
    return new Split(result, result == bytes ? module : parse(result), report);
  }

  /**
   * Whether function {@code index} of {@code module} is one the splitter added (a moved region, not
   * a function of the module it was given): for code that maps functions back, such as a stack
   * probe.
   */
  public static boolean isAdded(WasmModule module, int index) {
    var section = module.customSection(SECTION);
    if (!(section instanceof UnknownCustomSection marker)) {
      return false;
    }
    return index >= new WasmReader(marker.bytes(), 0).u32();
  }

  private static WasmModule parse(byte[] bytes) {
    try {
      return Parser.parse(bytes);
    } catch (ChicoryException e) {
      throw new InternalException("function splitting produced an invalid module", e);
    }
  }

  private byte[] rewrite() {
    int codeSection = findSection(CODE);
    if (codeSection < 0) {
      return bytes;
    }
    splitBodies(codeSection);
    if (added.isEmpty()) {
      return bytes;
    }
    return writeModule();
  }

  /** Splits each large body of the code section starting at {@code start}, keeping the others. */
  private void splitBodies(int start) {
    var in = new WasmReader(bytes, start);
    int count = in.u32();
    int imported = types.importedFunctionCount();
    for (int i = 0; i < count; i++) {
      int size = in.u32();
      int bodyStart = in.position();
      if (size > MAX_SPLIT_BODY) {
        leftLarge.add(new SplitReport.LargeFunction(imported + i, size, size));
        bodies.add(Arrays.copyOfRange(bytes, bodyStart, bodyStart + size));
      } else if (size > threshold) {
        bodies.add(splitOne(i, imported, bodyStart, size));
      } else {
        bodies.add(Arrays.copyOfRange(bytes, bodyStart, bodyStart + size));
      }
      in.seek(bodyStart + size);
    }
  }

  private byte[] splitOne(int defined, int imported, int bodyStart, int size) {
    var result =
        FunctionSplit.split(
            bytes,
            bodyStart,
            bodyStart + size,
            module.codeSection().getFunctionBody(defined),
            types.ofFunction(imported + defined),
            types,
            addedTypes,
            pieceSize,
            types.functionCount() + added.size());
    if (!result.added().isEmpty()) {
      functionsSplit++;
      added.addAll(result.added());
    }
    if (result.size() > threshold) {
      leftLarge.add(new SplitReport.LargeFunction(imported + defined, size, result.size()));
    }
    return result.added().isEmpty()
        ? Arrays.copyOfRange(bytes, bodyStart, bodyStart + size)
        : result.body();
  }

  private byte[] writeModule() {
    var out = new WasmWriter().bytes(bytes, 0, HEADER_SIZE);
    var in = new WasmReader(bytes, HEADER_SIZE);
    while (!in.atEnd()) {
      int id = in.u8();
      int size = in.u32();
      int start = in.position();
      switch (id) {
        case TYPE -> out.section(id, types(start, start + size));
        case FUNCTION -> out.section(id, functions(start, start + size));
        case CODE -> out.section(id, code());
        default -> out.section(id, Arrays.copyOfRange(bytes, start, start + size));
      }
      in.seek(start + size);
    }
    var marker = new WasmWriter().name(SECTION).u32(types.functionCount());
    return out.section(0, marker.toByteArray()).toByteArray();
  }

  private byte[] types(int start, int end) {
    var section = countedPrefix(start, end, addedTypes.encoded().size());
    addedTypes.encoded().forEach(section::bytes);
    return section.toByteArray();
  }

  private byte[] functions(int start, int end) {
    var section = countedPrefix(start, end, added.size());
    added.forEach(f -> section.u32(f.typeIndex()));
    return section.toByteArray();
  }

  private byte[] code() {
    var section = new WasmWriter().u32((long) bodies.size() + added.size());
    bodies.forEach(b -> section.u32(b.length).bytes(b));
    added.forEach(f -> section.u32(f.body().length).bytes(f.body()));
    return section.toByteArray();
  }

  private WasmWriter countedPrefix(int start, int end, int extra) {
    var in = new WasmReader(bytes, start);
    long count = Integer.toUnsignedLong(in.u32());
    return new WasmWriter().u32(count + extra).bytes(bytes, in.position(), end);
  }

  private int findSection(int wanted) {
    var in = new WasmReader(bytes, HEADER_SIZE);
    while (!in.atEnd()) {
      int id = in.u8();
      int size = in.u32();
      if (id == wanted) {
        return in.position();
      }
      in.seek(in.position() + size);
    }
    return -1;
  }
}
