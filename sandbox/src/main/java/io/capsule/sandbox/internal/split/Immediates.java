package io.capsule.sandbox.internal.split;

import io.capsule.sandbox.internal.meter.WasmReader;

/** Decodes the immediates of the operators the splitter rewrites, from their bytes. */
final class Immediates {
  private Immediates() {}

  /** The first unsigned immediate of a one-byte operator: a local, label, function or type. */
  static int first(Node.Op op) {
    return new WasmReader(op.bytes(), 1).u32();
  }

  /** The labels of a {@code br_table}: the targets, then the default. */
  static int[] branchTable(Node.Op op) {
    var in = new WasmReader(op.bytes(), 1);
    int count = in.u32();
    int[] labels = new int[count + 1];
    for (int i = 0; i <= count; i++) {
      labels[i] = in.u32();
    }
    return labels;
  }

  /** The labels a branch names (none for other operators). */
  static int[] labels(Node.Op op) {
    return switch (op.opcode()) {
      case Opcodes.BR, Opcodes.BR_IF -> new int[] {first(op)};
      case Opcodes.BR_TABLE -> branchTable(op);
      default -> new int[0];
    };
  }
}
