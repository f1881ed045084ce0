package io.capsule.sandbox.internal.unwind;

import com.dylibso.chicory.wasm.types.FunctionType;
import io.capsule.sandbox.internal.meter.WasmReader;
import io.capsule.sandbox.internal.meter.WasmWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Makes one function able to unwind its frame into the buffer and rebuild it from there (see {@link
 * Asyncify} for the conventions).
 *
 * <p>The body is cut, level by level (a level is the instruction list of the body, a block, a loop
 * or an arm of an if), into <em>elements</em> — the calls that may unwind and the structures that
 * hold one — and the <em>segments</em> of other code between them. Every value that crosses the
 * boundary of a segment or an element lives in a local ("spilled": one local per stack position and
 * type, see {@link #spill}), so that each segment and each element starts and ends with an empty
 * operand stack:
 *
 * <ul>
 *   <li>a segment runs only when not rewinding: {@code if (state != 2) { reload; code; spill }};
 *   <li>a call runs when not rewinding or when it is the call being rewound to ({@code $site ==
 *       k}); after it, if the callee started an unwind, {@code $site = k} and a branch leaves the
 *       body for the code that saves the frame;
 *   <li>a structure is always entered (its own segments are guarded), an {@code if} with its
 *       condition reloaded from its local, so a rewind takes the arm it had taken.
 * </ul>
 *
 * <p>Saving a frame writes {@code $site} and every local at the buffer's current pointer (checked
 * against its end) and advances it; the prologue of a rewind moves the pointer back by the frame's
 * size and reads them again. Frames are popped in the reverse of the order they were pushed.
 */
final class FunctionUnwinder {
  private static final int ALIGN = 0;

  private final ModuleFacts facts;
  private final Set<Integer> callees;
  private final int stateGlobal;
  private final int dataGlobal;
  private final List<Integer> locals;
  private final StackTypes stackTypes;
  private final WasmWriter out = new WasmWriter();
  private final List<Boolean> labels = new ArrayList<>();
  private final Map<Piece.Structure, Boolean> active = new IdentityHashMap<>();
  private final Map<Long, Integer> slots = new HashMap<>();
  private final int siteLocal;
  private final int fpLocal;
  private int sites;

  private FunctionUnwinder(
      ModuleFacts facts, Set<Integer> callees, int stateGlobal, int dataGlobal, List<Integer> all) {
    this.facts = facts;
    this.callees = callees;
    this.stateGlobal = stateGlobal;
    this.dataGlobal = dataGlobal;
    this.locals = new ArrayList<>(all);
    this.stackTypes = new StackTypes(facts, locals);
    this.siteLocal = addLocal(Codes.I32);
    this.fpLocal = addLocal(Codes.I32);
  }

  /**
   * The new body (locals and code) of a function of type {@code type} whose original body is {@code
   * body}.
   *
   * @param callees the functions (module index space) whose calls may unwind
   * @param localTypes the declared locals of the original body
   */
  static byte[] unwind(
      ModuleFacts facts,
      FunctionType type,
      List<Integer> localTypes,
      List<Piece> body,
      Set<Integer> callees,
      int stateGlobal,
      int dataGlobal) {
    List<Integer> all = new ArrayList<>(ModuleFacts.codes(type.params()));
    all.addAll(localTypes);
    for (int local : all) {
      if (!Codes.isNumeric(local)) {
        throw new AsyncifyRefusedException("a local of a non-numeric type");
      }
    }
    List<Integer> results = ModuleFacts.codes(type.returns());
    if (results.size() > 1) {
      throw new AsyncifyRefusedException("more than one result");
    }
    var unwinder = new FunctionUnwinder(facts, callees, stateGlobal, dataGlobal, all);
    return unwinder.write(type.params().size(), body, results);
  }

  private byte[] write(int params, List<Piece> body, List<Integer> results) {
    labels.add(false); // $unwind
    labels.add(true); // $body: the function's own label
    writeLevel(body, results, 0);
    byte[] code = out.toByteArray();
    int[] offsets = frameOffsets();
    int size = offsets[locals.size()];
    var fn = new WasmWriter();
    writeLocalDeclarations(fn, params);
    prologue(fn, offsets, size);
    fn.u8(Codes.BLOCK).u8(Codes.EMPTY_BLOCK);
    fn.u8(Codes.BLOCK).u8(results.isEmpty() ? Codes.EMPTY_BLOCK : blockResult(results.get(0)));
    fn.bytes(code);
    fn.u8(Codes.END).u8(Codes.RETURN).u8(Codes.END);
    saveFrame(fn, offsets, size);
    results.forEach(t -> zero(fn, t));
    fn.u8(Codes.END);
    return fn.toByteArray();
  }

  private static int blockResult(int type) {
    if (type == ModuleFacts.UNSUPPORTED) {
      throw new AsyncifyRefusedException("a result of an unsupported type");
    }
    return type;
  }

  /** The offset of each saved local in the frame (after the site), and the frame size last. */
  private int[] frameOffsets() {
    int[] offsets = new int[locals.size() + 1];
    int offset = 4;
    for (int i = 0; i < locals.size(); i++) {
      offsets[i] = offset;
      if (i != siteLocal && i != fpLocal) {
        offset += Codes.size(locals.get(i));
      }
    }
    offsets[locals.size()] = offset;
    return offsets;
  }

  private void writeLocalDeclarations(WasmWriter fn, int params) {
    List<int[]> runs = new ArrayList<>();
    for (int i = params; i < locals.size(); i++) {
      int type = locals.get(i);
      if (!runs.isEmpty() && runs.get(runs.size() - 1)[1] == type) {
        runs.get(runs.size() - 1)[0]++;
      } else {
        runs.add(new int[] {1, type});
      }
    }
    fn.u32(runs.size());
    runs.forEach(run -> fn.u32(run[0]).u8(run[1]));
  }

  /** When rewinding: pop this function's frame and restore {@code $site} and every local. */
  private void prologue(WasmWriter fn, int[] offsets, int size) {
    state(fn, 2);
    fn.u8(Codes.I32_EQ).u8(Codes.IF).u8(Codes.EMPTY_BLOCK);
    // trap unless data + 8 + size <= current
    current(fn);
    fn.u8(Codes.I64_EXTEND_I32_U);
    fn.u8(Codes.GLOBAL_GET).u32(dataGlobal).u8(Codes.I64_EXTEND_I32_U);
    fn.u8(Codes.I64_CONST).s64(8L + size).u8(Codes.I64_ADD).u8(Codes.I64_LT_U);
    trapIf(fn);
    current(fn);
    fn.u8(Codes.I32_CONST).s64(size).u8(Codes.I32_SUB).u8(Codes.LOCAL_SET).u32(fpLocal);
    fn.u8(Codes.GLOBAL_GET).u32(dataGlobal).u8(Codes.LOCAL_GET).u32(fpLocal);
    memory(fn, Codes.I32_STORE, 0);
    fn.u8(Codes.LOCAL_GET).u32(fpLocal);
    memory(fn, Codes.I32_LOAD, 0);
    fn.u8(Codes.LOCAL_SET).u32(siteLocal);
    for (int i = 0; i < locals.size(); i++) {
      if (i != siteLocal && i != fpLocal) {
        fn.u8(Codes.LOCAL_GET).u32(fpLocal);
        memory(fn, Codes.load(locals.get(i)), offsets[i]);
        fn.u8(Codes.LOCAL_SET).u32(i);
      }
    }
    fn.u8(Codes.END);
  }

  /** After an unwind left the body: push this function's frame, bounds-checked. */
  private void saveFrame(WasmWriter fn, int[] offsets, int size) {
    current(fn);
    fn.u8(Codes.LOCAL_SET).u32(fpLocal);
    // trap unless fp + size <= end
    fn.u8(Codes.LOCAL_GET).u32(fpLocal).u8(Codes.I64_EXTEND_I32_U);
    fn.u8(Codes.I64_CONST).s64(size).u8(Codes.I64_ADD);
    fn.u8(Codes.GLOBAL_GET).u32(dataGlobal);
    memory(fn, Codes.I32_LOAD, 4);
    fn.u8(Codes.I64_EXTEND_I32_U).u8(Codes.I64_GT_U);
    trapIf(fn);
    fn.u8(Codes.LOCAL_GET).u32(fpLocal).u8(Codes.LOCAL_GET).u32(siteLocal);
    memory(fn, Codes.I32_STORE, 0);
    for (int i = 0; i < locals.size(); i++) {
      if (i != siteLocal && i != fpLocal) {
        fn.u8(Codes.LOCAL_GET).u32(fpLocal).u8(Codes.LOCAL_GET).u32(i);
        memory(fn, Codes.store(locals.get(i)), offsets[i]);
      }
    }
    fn.u8(Codes.GLOBAL_GET).u32(dataGlobal).u8(Codes.LOCAL_GET).u32(fpLocal);
    fn.u8(Codes.I32_CONST).s64(size).u8(Codes.I32_ADD);
    memory(fn, Codes.I32_STORE, 0);
  }

  private void current(WasmWriter fn) {
    fn.u8(Codes.GLOBAL_GET).u32(dataGlobal);
    memory(fn, Codes.I32_LOAD, 0);
  }

  private void state(WasmWriter fn, int value) {
    fn.u8(Codes.GLOBAL_GET).u32(stateGlobal).u8(Codes.I32_CONST).s64(value);
  }

  private static void trapIf(WasmWriter fn) {
    fn.u8(Codes.IF).u8(Codes.EMPTY_BLOCK).u8(Codes.UNREACHABLE).u8(Codes.END);
  }

  private static void memory(WasmWriter fn, int opcode, long offset) {
    fn.u8(opcode).u32(ALIGN).u32(offset);
  }

  static void zero(WasmWriter fn, int type) {
    switch (type) {
      case Codes.I32 -> fn.u8(Codes.I32_CONST).u8(0);
      case Codes.I64 -> fn.u8(Codes.I64_CONST).u8(0);
      case Codes.F32 -> fn.u8(Codes.F32_CONST).bytes(new byte[4]);
      case Codes.F64 -> fn.u8(Codes.F64_CONST).bytes(new byte[8]);
      case Codes.FUNCREF, Codes.EXTERNREF -> fn.u8(0xD0).u8(type);
      default -> throw new AsyncifyRefusedException("a value of an unsupported type");
    }
  }

  // ---- the body, level by level ----

  /**
   * Writes a level that holds an element (or lies in a structure that does): the real operand stack
   * is empty at its start and holds {@code results} at its end.
   */
  private void writeLevel(List<Piece> level, List<Integer> results, int base) {
    List<Integer> virtual = new ArrayList<>(); // locals holding the level's stack, bottom first
    int i = 0;
    int n = level.size();
    while (true) {
      int start = i;
      boolean dead = false;
      while (i < n && !isElement(level.get(i))) {
        Piece piece = level.get(i++);
        if (piece instanceof Piece.Op op && endsReachability(op.opcode())) {
          dead = true;
          break;
        }
      }
      List<Piece> segment = level.subList(start, i);
      if (dead) {
        writeSegment(virtual, segment, true, base);
        results.forEach(t -> zero(out, t)); // reached only when the segment was skipped
        return;
      }
      if (!segment.isEmpty()) {
        virtual = writeSegment(virtual, segment, false, base);
      }
      if (i == n) {
        reload(virtual);
        return;
      }
      virtual = writeElement(virtual, level.get(i++), base);
    }
  }

  private List<Integer> writeSegment(
      List<Integer> virtual, List<Piece> segment, boolean dead, int base) {
    state(out, 2);
    out.u8(Codes.I32_NE).u8(Codes.IF).u8(Codes.EMPTY_BLOCK);
    labels.add(false);
    reload(virtual);
    List<Integer> types = new ArrayList<>();
    virtual.forEach(local -> types.add(locals.get(local)));
    for (Piece piece : segment) {
      writeVerbatim(piece);
      simulate(piece, types);
    }
    List<Integer> spilled = dead ? List.of() : spill(base, types);
    out.u8(Codes.END);
    labels.remove(labels.size() - 1);
    return spilled;
  }

  private List<Integer> writeElement(List<Integer> virtual, Piece piece, int base) {
    if (piece instanceof Piece.Op op) {
      return writeCall(virtual, op, base);
    }
    var structure = (Piece.Structure) piece;
    if (!structure.params().isEmpty()) {
      throw new AsyncifyRefusedException("a block with parameters around a call that may unwind");
    }
    List<Integer> below = new ArrayList<>(virtual);
    int inner = base + virtual.size(); // above every slot still live here, an if's condition too
    if (structure.isIf()) {
      out.u8(Codes.LOCAL_GET).u32(below.remove(below.size() - 1));
    }
    out.bytes(structure.opener().bytes());
    labels.add(true);
    List<List<Piece>> bodies = structure.bodies();
    for (int b = 0; b < bodies.size(); b++) {
      if (b > 0) {
        out.u8(Codes.ELSE);
      }
      writeLevel(bodies.get(b), structure.results(), inner);
    }
    out.u8(Codes.END);
    labels.remove(labels.size() - 1);
    // not a position's slot: a rewind enters structures that do not hold its call, and what they
    // leave (skipped code, reloaded slots) must not overwrite a slot restored from the frame
    below.addAll(spill(-1, structure.results()));
    return below;
  }

  private List<Integer> writeCall(List<Integer> virtual, Piece.Op op, int base) {
    boolean indirect = op.opcode() == Codes.CALL_INDIRECT;
    FunctionType type = indirect ? facts.type(first(op)) : facts.ofFunction(first(op));
    int inputs = type.params().size() + (indirect ? 1 : 0);
    if (inputs > virtual.size()) {
      throw new AsyncifyRefusedException("operand stack underflow at a call");
    }
    int site = ++sites;
    state(out, 2);
    out.u8(Codes.I32_NE).u8(Codes.LOCAL_GET).u32(siteLocal);
    out.u8(Codes.I32_CONST).s64(site).u8(Codes.I32_EQ).u8(Codes.I32_OR);
    out.u8(Codes.IF).u8(Codes.EMPTY_BLOCK);
    labels.add(false);
    reload(virtual.subList(virtual.size() - inputs, virtual.size()));
    out.bytes(op.bytes());
    state(out, 1);
    out.u8(Codes.I32_EQ).u8(Codes.IF).u8(Codes.EMPTY_BLOCK);
    labels.add(false);
    out.u8(Codes.I32_CONST).s64(site).u8(Codes.LOCAL_SET).u32(siteLocal);
    out.u8(Codes.BR).u32(labels.size() - 1L); // to $unwind, the outermost label
    out.u8(Codes.END);
    labels.remove(labels.size() - 1);
    List<Integer> results =
        spill(base + virtual.size() - inputs, ModuleFacts.codes(type.returns()));
    out.u8(Codes.END);
    labels.remove(labels.size() - 1);
    List<Integer> after = new ArrayList<>(virtual.subList(0, virtual.size() - inputs));
    after.addAll(results);
    return after;
  }

  private void reload(List<Integer> virtual) {
    for (int local : virtual) {
      out.u8(Codes.LOCAL_GET).u32(local);
    }
  }

  /**
   * Pops values of {@code types} (top last) into the slots of stack positions {@code base}, {@code
   * base + 1}, …; returns them, bottom first. A negative {@code base} means fresh locals, never
   * reused. A slot is the local of one position and type: a level's values sit at positions above
   * every value still live in the levels around it, so a slot is rewritten only once its value is
   * dead (after the reload that consumed it).
   */
  private List<Integer> spill(int base, List<Integer> types) {
    List<Integer> slots = new ArrayList<>();
    for (int i = 0; i < types.size(); i++) {
      int type = types.get(i);
      if (!Codes.isNumeric(type)) {
        throw new AsyncifyRefusedException("a value of a non-numeric type around a call");
      }
      slots.add(base < 0 ? addLocal(type) : slot(base + i, type));
    }
    for (int i = slots.size() - 1; i >= 0; i--) {
      out.u8(Codes.LOCAL_SET).u32(slots.get(i));
    }
    return slots;
  }

  private int slot(int position, int type) {
    return slots.computeIfAbsent(((long) position << 8) | type, key -> addLocal(type));
  }

  private int addLocal(int type) {
    locals.add(type);
    return locals.size() - 1;
  }

  private void simulate(Piece piece, List<Integer> types) {
    if (piece instanceof Piece.Op op) {
      stackTypes.apply(op, types);
      return;
    }
    var structure = (Piece.Structure) piece;
    StackTypes.pop(types, structure.params().size() + (structure.isIf() ? 1 : 0));
    types.addAll(structure.results());
  }

  /** Writes a piece as it was, with its branch depths counted past the labels added around it. */
  private void writeVerbatim(Piece piece) {
    if (piece instanceof Piece.Structure structure) {
      out.bytes(structure.opener().bytes());
      labels.add(true);
      List<List<Piece>> bodies = structure.bodies();
      for (int b = 0; b < bodies.size(); b++) {
        if (b > 0) {
          out.u8(Codes.ELSE);
        }
        bodies.get(b).forEach(this::writeVerbatim);
      }
      out.u8(Codes.END);
      labels.remove(labels.size() - 1);
      return;
    }
    var op = (Piece.Op) piece;
    switch (op.opcode()) {
      case Codes.BR, Codes.BR_IF -> out.u8(op.opcode()).u32(translate(first(op)));
      case Codes.BR_TABLE -> {
        var in = new WasmReader(op.bytes(), 1);
        int count = in.u32();
        out.u8(Codes.BR_TABLE).u32(count);
        for (int i = 0; i <= count; i++) {
          out.u32(translate(in.u32()));
        }
      }
      default -> out.bytes(op.bytes());
    }
  }

  /** The depth, here, of the label an original branch of depth {@code depth} names. */
  private int translate(int depth) {
    int seen = -1;
    for (int position = labels.size() - 1; position >= 0; position--) {
      if (labels.get(position) && ++seen == depth) {
        return labels.size() - 1 - position;
      }
    }
    throw new AsyncifyRefusedException("a branch to label " + depth + " that does not exist");
  }

  private boolean isElement(Piece piece) {
    if (piece instanceof Piece.Op op) {
      return isSite(op);
    }
    return isActive((Piece.Structure) piece);
  }

  private boolean isSite(Piece.Op op) {
    return op.opcode() == Codes.CALL_INDIRECT
        || (op.opcode() == Codes.CALL && callees.contains(first(op)));
  }

  private boolean isActive(Piece.Structure structure) {
    Boolean known = active.get(structure);
    if (known == null) {
      known = structure.bodies().stream().anyMatch(this::holdsSite);
      active.put(structure, known);
    }
    return known;
  }

  /** Whether a level holds, before anything that ends its reachability, a call that may unwind. */
  private boolean holdsSite(List<Piece> level) {
    for (Piece piece : level) {
      if (isElement(piece)) {
        return true;
      }
      if (piece instanceof Piece.Op op && endsReachability(op.opcode())) {
        return false;
      }
    }
    return false;
  }

  private static boolean endsReachability(int opcode) {
    return opcode == Codes.UNREACHABLE
        || opcode == Codes.BR
        || opcode == Codes.BR_TABLE
        || opcode == Codes.RETURN
        || opcode == 0x12
        || opcode == 0x13;
  }

  private static int first(Piece.Op op) {
    return new WasmReader(op.bytes(), 1).u32();
  }
}
