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
    return new Segments(costs);
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
