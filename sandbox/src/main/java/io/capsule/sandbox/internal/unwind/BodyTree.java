package io.capsule.sandbox.internal.unwind;

import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Instruction;
import io.capsule.sandbox.internal.meter.WasmReader;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * Builds the {@link Piece} tree of a body from the instructions Chicory parsed (each knows its
 * address, so its bytes are copied from the module as they are). Refuses the constructs whose
 * labels or stack effects the pass does not model.
 */
final class BodyTree {
  private final byte[] module;
  private final ModuleFacts facts;
  private final Deque<List<Piece>> outer = new ArrayDeque<>();
  private final Deque<Piece.Structure> open = new ArrayDeque<>();
  private List<Piece> current;

  private BodyTree(byte[] module, ModuleFacts facts, List<Piece> root) {
    this.module = module;
    this.facts = facts;
    this.current = root;
  }

  /** The tree of a body whose instructions end (after the final {@code end}) at {@code bodyEnd}. */
  static List<Piece> parse(
      byte[] module, int bodyEnd, List<? extends Instruction> code, ModuleFacts facts) {
    List<Piece> root = new ArrayList<>();
    var tree = new BodyTree(module, facts, root);
    for (int i = 0; i < code.size(); i++) {
      int end = i + 1 < code.size() ? code.get(i + 1).address() : bodyEnd;
      tree.add(code.get(i), end);
    }
    return root;
  }

  private void add(Instruction ins, int end) {
    int opcode = ins.opcode().opcode();
    if (isRefused(opcode)) {
      throw new AsyncifyRefusedException(
          "unsupported instruction " + ins.opcode() + " (0x" + Integer.toHexString(opcode) + ")");
    }
    if (opcode == Codes.END) {
      if (!open.isEmpty()) {
        open.pop();
        current = outer.pop();
      }
      return;
    }
    if (opcode == Codes.ELSE) {
      List<Piece> elseBody = new ArrayList<>();
      open.element().bodies().add(elseBody);
      current = elseBody;
      return;
    }
    var op = new Piece.Op(opcode, Arrays.copyOfRange(module, ins.address(), end));
    if (opcode == Codes.BLOCK || opcode == Codes.LOOP || opcode == Codes.IF) {
      var structure = structure(op);
      current.add(structure);
      open.push(structure);
      outer.push(current);
      current = structure.bodies().get(0);
    } else {
      current.add(op);
    }
  }

  /**
   * Exception handling (its labels and tags), typed-reference and GC branches, {@code call_ref}:
   * constructs whose labels or control flow the pass does not rewrite.
   */
  private static boolean isRefused(int opcode) {
    return (opcode >= 0x06 && opcode <= 0x0A)
        || opcode == 0x14
        || opcode == 0x15
        || opcode == 0x18
        || opcode == 0x19
        || opcode == 0x1F
        || opcode == 0xD5
        || opcode == 0xD6
        || (opcode >> 8) == 0xFB;
  }

  private Piece.Structure structure(Piece.Op op) {
    int first = op.bytes()[1] & 0xff;
    if (first == Codes.EMPTY_BLOCK) {
      return new Piece.Structure(op, List.of(), List.of());
    }
    if (first > 0x40 && first < 0x80) {
      int code = first == 0x63 || first == 0x64 ? ModuleFacts.UNSUPPORTED : first;
      return new Piece.Structure(op, List.of(), List.of(code));
    }
    FunctionType type = facts.type(new WasmReader(op.bytes(), 1).u32());
    return new Piece.Structure(
        op, ModuleFacts.codes(type.params()), ModuleFacts.codes(type.returns()));
  }
}
