package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.wasm.types.OpCode;
import java.util.EnumSet;
import java.util.Set;

/**
 * What each executed WebAssembly operator costs, in fuel units. This is wasmtime's model, so a
 * budget means the same here as there, plus a charge for bulk memory work:
 *
 * <table>
 *   <caption>Fuel cost per executed operator</caption>
 *   <tr><th>Operator</th><th>Cost</th></tr>
 *   <tr><td>{@code nop}, {@code drop}</td><td>0 (no code is generated for them)</td></tr>
 *   <tr><td>{@code block}, {@code loop}, {@code else}, {@code end}</td><td>0 (structure only)</td></tr>
 *   <tr><td>{@code unreachable}, {@code return}</td><td>0</td></tr>
 *   <tr><td>{@code memory.fill}, {@code memory.copy}</td>
 *       <td>1 + the length operand (an i32 read as unsigned)</td></tr>
 *   <tr><td>every other operator (including {@code if}, {@code br*}, {@code call*})</td>
 *       <td>1</td></tr>
 * </table>
 *
 * <p>Only operators that execute are charged; operators the host runs on the guest's behalf (WASI
 * calls) cost 1 for the {@code call} and nothing for the work done in Java.
 */
final class CostModel {
  private static final Set<OpCode> FREE =
      EnumSet.of(
          OpCode.NOP,
          OpCode.DROP,
          OpCode.BLOCK,
          OpCode.LOOP,
          OpCode.UNREACHABLE,
          OpCode.RETURN,
          OpCode.ELSE,
          OpCode.END);

  private CostModel() {}

  /** The fixed cost of one execution of {@code opcode}. */
  static int cost(OpCode opcode) {
    return FREE.contains(opcode) ? 0 : 1;
  }

  /** Whether {@code opcode} also costs its length operand (the i32 on top of the stack). */
  static boolean chargesLength(OpCode opcode) {
    return opcode == OpCode.MEMORY_FILL || opcode == OpCode.MEMORY_COPY;
  }
}
