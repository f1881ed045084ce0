package io.capsule.sandbox.internal.split;

import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Instruction;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * Builds the {@link Node} tree of one function body from the instructions Chicory parsed (each
 * knows its absolute address, so its bytes are copied from the module as they are).
 */
final class BodyParser {
  private final byte[] module;
  private final ModuleTypes types;
  private final Deque<List<Node>> outer = new ArrayDeque<>();
  private final Deque<Node.Structure> open = new ArrayDeque<>();
  private List<Node> current;

  private BodyParser(byte[] module, ModuleTypes types, List<Node> root) {
    this.module = module;
    this.types = types;
    this.current = root;
  }

  /**
   * Parses the instructions of a body that ends (after its final {@code end}) at {@code bodyEnd}
   * into {@code root}.
   */
  static void parse(
      byte[] module,
      int bodyEnd,
      List<? extends Instruction> code,
      ModuleTypes types,
      List<Node> root) {
    var parser = new BodyParser(module, types, root);
    for (int i = 0; i < code.size(); i++) {
      int end = i + 1 < code.size() ? code.get(i + 1).address() : bodyEnd;
      parser.add(code.get(i), end);
    }
  }

  private void add(Instruction ins, int end) {
    int opcode = ins.opcode().opcode();
    if (opcode == Opcodes.END) {
      if (!open.isEmpty()) {
        open.pop();
        current = outer.pop();
      }
      return;
    }
    if (opcode == Opcodes.ELSE) {
      List<Node> elseBody = new java.util.ArrayList<>();
      open.peek().bodies().add(elseBody);
      current = elseBody;
      return;
    }
    var op = new Node.Op(opcode, Arrays.copyOfRange(module, ins.address(), end));
    if (opensBlock(opcode)) {
      var structure = new Node.Structure(op, blockType(op.bytes()));
      current.add(structure);
      open.push(structure);
      outer.push(current);
      current = structure.bodies().get(0);
    } else {
      current.add(op);
    }
  }

  private static boolean opensBlock(int opcode) {
    return opcode == Opcodes.BLOCK
        || opcode == Opcodes.LOOP
        || opcode == Opcodes.IF
        || opcode == Opcodes.TRY_TABLE;
  }

  /**
   * Decodes a block type (right after the opcode): {@code 0x40}, one value type (a single byte in
   * 0x40..0x7F, or a reference prefix), or a signed LEB128 index of a function type.
   */
  private BlockType blockType(byte[] bytes) {
    int first = bytes[1] & 0xff;
    if (first == Opcodes.EMPTY_BLOCK_TYPE) {
      return BlockType.EMPTY;
    }
    if (first >= 0x40 && first < 0x80) {
      return new BlockType(List.of(), List.of(ValueCodes.ofByte(first)));
    }
    FunctionType type = types.type(typeIndex(bytes));
    return new BlockType(ValueCodes.codes(type.params()), ValueCodes.codes(type.returns()));
  }

  private static int typeIndex(byte[] bytes) {
    long result = 0;
    int shift = 0;
    int position = 1;
    int b;
    do {
      b = bytes[position++] & 0xff;
      result |= (long) (b & 0x7f) << shift;
      shift += 7;
    } while ((b & 0x80) != 0);
    return (int) result;
  }
}
