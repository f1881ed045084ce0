package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Cuts a function body into straight-line segments: runs of instructions that, once the first one
 * executes, all execute (barring a trap). A segment ends after every branch, {@code if}, {@code
 * else}, call, {@code return} and {@code unreachable}; after a loop header (its body is a branch
 * target); and after an {@code end} that something branches to (that of an {@code if}, or of a
 * block some branch names). It does not end at {@code block}, nor at the {@code end} of a loop or
 * of a block nothing branches to: control only falls through those.
 */
final class Segments {
  private final long[] costs;

  private Segments(long[] costs) {
    this.costs = costs;
  }

  /** Analyses one function body. */
  static Segments of(List<? extends Instruction> code) {
    boolean[] endsAfter = boundaries(code);
    long[] costs = new long[code.size()];
    int start = 0;
    for (int i = 0; i < code.size(); i++) {
      costs[i] = i == start ? 0 : -1;
      costs[start] += CostModel.cost(code.get(i).opcode());
      if (endsAfter[i]) {
        start = i + 1;
      }
    }
    if (code.stream().noneMatch(i -> i.opcode() == OpCode.TRY_TABLE)) {
      chargeAfterEndsEarly(code, costs);
    }
    return new Segments(costs);
  }

  /**
   * Moves the cost of the segment after the {@code end} of a block or {@code if} into the segment
   * holding its opener, when nothing inside can leave the construct but through its end (no branch
   * to an outer label, no return, call, throw or {@code unreachable}): then the code after the end
   * runs exactly when the opener does. Fewer charge sites keep the JVM methods Chicory generates
   * small, which matters to HotSpot's inlining budget.
   */
  private static void chargeAfterEndsEarly(List<? extends Instruction> code, long[] costs) {
    boolean[] escapable = escapableConstructs(code);
    int[] segmentOf = new int[code.size()];
    Deque<Integer> open = new ArrayDeque<>();
    for (int i = 0; i < code.size(); i++) {
      segmentOf[i] = costs[i] >= 0 ? i : segmentOf[i - 1];
      OpCode op = code.get(i).opcode();
      if (Opcodes.opensBlock(op)) {
        open.push(i);
      } else if (op == OpCode.END && !open.isEmpty()) {
        int opener = open.pop();
        boolean movable = code.get(opener).opcode() != OpCode.LOOP && !escapable[opener];
        if (movable && i + 1 < code.size() && costs[i + 1] > 0) {
          costs[segmentOf[opener]] += costs[i + 1];
          costs[i + 1] = 0;
        }
      }
    }
  }

  /** For each construct opener: whether control can leave the construct other than at its end. */
  private static boolean[] escapableConstructs(List<? extends Instruction> code) {
    boolean[] escapable = new boolean[code.size()];
    Deque<Integer> open = new ArrayDeque<>();
    for (int i = 0; i < code.size(); i++) {
      Instruction ins = code.get(i);
      OpCode op = ins.opcode();
      if (Opcodes.isCall(op) || Opcodes.leavesFrame(op) || op == OpCode.UNREACHABLE) {
        open.forEach(o -> escapable[o] = true);
      }
      for (long label : Opcodes.branchLabels(ins)) {
        open.stream().limit(label).forEach(o -> escapable[o] = true);
      }
      if (Opcodes.opensBlock(op)) {
        open.push(i);
      } else if (op == OpCode.END && !open.isEmpty()) {
        open.pop();
      }
    }
    return escapable;
  }

  /** Whether a segment starts at instruction {@code index}. */
  boolean startsAt(int index) {
    return costs[index] >= 0;
  }

  /** The cost of the segment starting at {@code index}; -1 when none starts there. */
  long costAt(int index) {
    return costs[index];
  }

  private static boolean[] boundaries(List<? extends Instruction> code) {
    boolean exceptions = code.stream().anyMatch(i -> i.opcode() == OpCode.TRY_TABLE);
    boolean[] endsAfter = new boolean[code.size()];
    boolean[] targeted = new boolean[code.size()];
    Deque<Integer> open = new ArrayDeque<>();
    for (int i = 0; i < code.size(); i++) {
      Instruction ins = code.get(i);
      OpCode op = ins.opcode();
      markTargets(ins, open, targeted);
      if (Opcodes.opensBlock(op)) {
        open.push(i);
      }
      if (op == OpCode.END) {
        Integer opener = open.poll();
        endsAfter[i] = opener == null || isBranchedTo(code.get(opener).opcode(), targeted[opener]);
        endsAfter[i] |= exceptions && opener != null && code.get(opener).opcode() == OpCode.BLOCK;
      } else {
        endsAfter[i] = op != OpCode.BLOCK && Opcodes.endsSegment(op);
      }
    }
    return endsAfter;
  }

  /**
   * Whether control may reach the instruction after the {@code end} of a construct other than by
   * falling through it: a branch to a block, the false edge of an {@code if}, an {@code if}'s
   * then-arm skipping the else-arm, a {@code try_table} left by a branch or a catch. A loop's label
   * is its start, so its end is fallen through only.
   */
  private static boolean isBranchedTo(OpCode opener, boolean targeted) {
    switch (opener) {
      case LOOP:
        return false;
      case BLOCK:
        return targeted;
      default:
        return true;
    }
  }

  /** Marks the blocks that branch {@code ins} may jump to the end of. */
  private static void markTargets(Instruction ins, Deque<Integer> open, boolean[] targeted) {
    for (long label : Opcodes.branchLabels(ins)) {
      if (label < open.size()) {
        targeted[open.stream().skip(label).findFirst().orElseThrow()] = true;
      }
    }
  }
}
