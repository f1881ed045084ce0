package io.capsule.sandbox.internal.split;

import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.capsule.sandbox.internal.meter.WasmReader;
import io.capsule.sandbox.internal.meter.WasmWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Splits one function: while its body is larger than the threshold, moves runs that fit in the
 * threshold and can move (see {@link RegionShape}) into new functions, and puts {@link Glue} in
 * their place. Each round first moves, largest first, runs that hold no run moved before (several,
 * disjoint, until the body would fit); only when none can does it move the largest run, which may
 * then hold runs moved before. Each round shrinks the body, so it ends: when the body fits, or when
 * nothing more can move, or when the work spent (bytes scanned and analysed) passes {@value
 * #WORK_PER_BYTE} times the body's size (the function is then reported): a hostile body of many
 * tiny regions cannot make it quadratic.
 */
final class FunctionSplit {
  /**
   * At most this many locals (parameters included) in a function once its glue has added its own:
   * the glue of a region whose exits carry values keeps each value in a local (shared by all glue,
   * see {@link FunctionLocals}), and a region leaving to many wide labels could otherwise add
   * thousands. The resumable CPython's eval loop goes from 18 to 21 (it went to 258 when each glue
   * had locals of its own).
   */
  static final int MAX_LOCALS = 4_096;

  /**
   * At most this many regions move out of one function: the added functions stay in proportion (a
   * body of 100,000 tiny blocks is not turned into 100,000 functions). CPython's eval loop moves
   * about 100.
   */
  static final int MAX_REGIONS = 4_096;

  /** The work budget per byte of body (see the class comment); CPython needs under 4. */
  static final int WORK_PER_BYTE = 32;

  /**
   * A {@code br_table} with at least this many targets is an interpreter's dispatch (an opcode
   * {@code switch}; CPython's has 256, QuickJS's about as many): the largest such in a function
   * stays in it (see {@link #shrink}).
   */
  static final int DISPATCH_TARGETS = 64;

  private final List<Node> root = new ArrayList<>();
  private final FunctionLocals locals;
  private final ModuleTypes types;
  private final AddedTypes addedTypes;
  private final int threshold;
  private final int firstNewFunction;
  private final List<MovedRegion> moved = new ArrayList<>();
  private final Set<Candidate.Key> refused = new HashSet<>();
  private Node.Op dispatch;
  private int glueWeight = 1;
  private Result written;
  private int size;
  private int[] uses;
  private long workLeft;

  private FunctionSplit(
      FunctionLocals locals,
      ModuleTypes types,
      AddedTypes addedTypes,
      int threshold,
      int firstNewFunction) {
    this.locals = locals;
    this.types = types;
    this.addedTypes = addedTypes;
    this.threshold = threshold;
    this.firstNewFunction = firstNewFunction;
  }

  /** What splitting one function gave: its new body, the functions added, its final size. */
  record Result(byte[] body, List<MovedRegion> added, int size) {}

  /**
   * Splits the function whose body spans {@code [bodyStart, bodyEnd)} of {@code module}; the
   * functions it adds get indices from {@code firstNewFunction} on.
   *
   * <p>A function with a {@linkplain Dispatch dispatch} is first split keeping it in place; when
   * the body left (the dispatch loop and the glue of its cases) cannot fit the threshold so, that
   * attempt is dropped and the function is split again, the dispatch free to move like any region.
   */
  static Result split(
      byte[] module,
      int bodyStart,
      int bodyEnd,
      FunctionBody body,
      FunctionType type,
      ModuleTypes types,
      AddedTypes addedTypes,
      int threshold,
      int firstNewFunction) {
    int mark = addedTypes.mark();
    var kept =
        attempt(
            module,
            bodyStart,
            bodyEnd,
            body,
            type,
            types,
            addedTypes,
            threshold,
            firstNewFunction,
            true);
    if (kept.dispatch == null || kept.size <= threshold) {
      return kept.written;
    }
    addedTypes.rollBack(mark);
    return attempt(
            module,
            bodyStart,
            bodyEnd,
            body,
            type,
            types,
            addedTypes,
            threshold,
            firstNewFunction,
            false)
        .written;
  }

  private static FunctionSplit attempt(
      byte[] module,
      int bodyStart,
      int bodyEnd,
      FunctionBody body,
      FunctionType type,
      ModuleTypes types,
      AddedTypes addedTypes,
      int threshold,
      int firstNewFunction,
      boolean pin) {
    var locals = new FunctionLocals(type.params(), body.localTypes(), type.returns());
    var split = new FunctionSplit(locals, types, addedTypes, threshold, firstNewFunction);
    BodyParser.parse(module, bodyEnd, body.instructions(), types, split.root);
    split.dispatch = pin ? Dispatch.find(split.root, DISPATCH_TARGETS) : null;
    // a body keeping its dispatch ends up mostly glue: weigh it as the JVM method it becomes
    split.glueWeight = split.dispatch == null ? 1 : Node.Outlined.GLUE_WEIGHT;
    split.workLeft = (long) WORK_PER_BYTE * (bodyEnd - bodyStart);
    while (split.shrink()) {
      // each round moves one region out
    }
    int codeStart = body.instructions().get(0).address();
    split.written = new Result(split.write(module, bodyStart, codeStart), split.moved, split.size);
    return split;
  }

  /**
   * Moves one region out (or several flat ones); false when the body fits or nothing can move.
   *
   * <p>A region holding the {@linkplain Dispatch dispatch} being kept never moves: the dispatch
   * loop then stays in this function, and each opcode's case is one call from it (the case's
   * region), rather than a call to a piece holding the dispatch, which returns an exit code this
   * function dispatches on again before it calls the case.
   */
  private boolean shrink() {
    int[] measured = new int[1];
    List<Candidate> candidates =
        RegionFinder.find(root, ValueCodes.codes(locals.results()), types, threshold, measured);
    size = measured[0];
    workLeft -= size;
    if (size <= threshold || workLeft < 0 || moved.size() >= MAX_REGIONS) {
      return false;
    }
    candidates.sort(Comparator.comparingInt(Candidate::size).reversed());
    uses = LocalUses.count(root, locals);
    var spans = new NodeSpans(root);
    if (moveFlat(candidates, spans)) {
      return true;
    }
    for (Candidate candidate : candidates) {
      if (workLeft < 0) {
        return false;
      }
      if (!spans.holds(spans.of(candidate.nodes()), dispatch)
          && !refused.contains(candidate.key())
          && tryMove(candidate)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Moves, largest first, regions that hold no region moved before, several per round (at most one
   * per body, none inside another), until the body would fit; false when none could move.
   *
   * <p>Flat regions keep the calls shallow: a region of a {@code br_table} dispatch (the case
   * blocks nest, each case after the block of the ones before) that may hold the regions moved
   * before it puts the dispatch at the bottom of a chain of calls, and a case in an outer piece
   * pays one call and one return per piece on the way (CPython's eval loop: up to six per Python
   * instruction). Flat, the dispatch is one call and a case at most one more. Several moves per
   * round keep the many rounds this takes within the work budget.
   */
  private boolean moveFlat(List<Candidate> candidates, NodeSpans spans) {
    Set<List<Node>> edited = Collections.newSetFromMap(new IdentityHashMap<>());
    int left = size;
    boolean any = false;
    for (Candidate candidate : candidates) {
      if (left <= threshold || workLeft < 0 || moved.size() >= MAX_REGIONS) {
        break;
      }
      if (edited.contains(candidate.body())) {
        continue;
      }
      int[] span = spans.of(candidate.nodes());
      if (spans.holdsOutlined(span)
          || spans.holds(span, dispatch)
          || spans.overlapsMoved(span)
          || refused.contains(candidate.key())) {
        continue;
      }
      if (tryMove(candidate)) {
        any = true;
        left -= candidate.size() - candidate.body().get(candidate.start()).size();
        edited.add(candidate.body());
        spans.move(span);
      }
    }
    return any;
  }

  private boolean tryMove(Candidate candidate) {
    workLeft -= candidate.size();
    List<Node> nodes = candidate.nodes();
    var shape = RegionShape.of(nodes, candidate.labels(), candidate.fallsThrough(), locals, uses);
    if (shape == null) {
      refused.add(candidate.key());
      return false;
    }
    List<ValType> glueLocals = new ArrayList<>();
    glueLocals.add(ValType.I32);
    if (shape.returns()) {
      glueLocals.addAll(locals.results());
    }
    shape.slots().codes().forEach(c -> glueLocals.add(ValueCodes.type(c)));
    if (locals.count() + locals.scratchMissing(glueLocals) > MAX_LOCALS) {
      refused.add(candidate.key());
      return false;
    }
    int[] scratch = locals.scratch(glueLocals);
    int code = scratch[0];
    int[] resultTemps = slice(scratch, 1, shape.returns() ? locals.results().size() : 0);
    int[] slotTemps = slice(scratch, 1 + resultTemps.length, shape.slots().codes().size());
    List<Node> glue = Glue.of(shape, firstNewFunction + moved.size(), code, resultTemps, slotTemps);
    if (glueWeight * Nodes.size(glue) >= candidate.size()) {
      refused.add(candidate.key());
      return false;
    }
    List<Node> region = List.copyOf(nodes);
    moved.add(MovedRegion.of(region, shape, locals, addedTypes));
    locals.addScratch(glueLocals);
    uses = LocalUses.moved(uses, region, glue, locals.count());
    nodes.clear();
    candidate.body().add(candidate.start(), new Node.Outlined(glue, glueWeight));
    return true;
  }

  private static int[] slice(int[] indices, int from, int count) {
    return Arrays.copyOfRange(indices, from, from + count);
  }

  private byte[] write(byte[] module, int bodyStart, int codeStart) {
    var out = new WasmWriter();
    var in = new WasmReader(module, bodyStart);
    int groups = in.u32();
    List<Integer> added = new ArrayList<>();
    locals.added().forEach(t -> added.add(ValueCodes.code(t)));
    out.u32((long) groups + added.size()).bytes(module, in.position(), codeStart);
    added.forEach(code -> out.u32(1).u8(code));
    BodyWriter.inPlace(out).write(root, 0);
    return out.u8(Opcodes.END).toByteArray();
  }
}
