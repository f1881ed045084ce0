package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.wasm.types.OpCode;
import io.capsule.protocol.InvalidModuleException;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * What each executed WebAssembly operator costs, in fuel units. This is wasmtime's model, so a
 * budget means the same here as there, plus a charge for bulk work, so that one operator cannot
 * make the host do unbounded work for a fixed price:
 *
 * <table>
 *   <caption>Fuel cost per executed operator</caption>
 *   <tr><th>Operator</th><th>Cost</th></tr>
 *   <tr><td>{@code nop}, {@code drop}</td><td>0 (no code is generated for them)</td></tr>
 *   <tr><td>{@code block}, {@code loop}, {@code else}, {@code end}</td><td>0 (structure only)</td></tr>
 *   <tr><td>{@code unreachable}, {@code return}</td><td>0</td></tr>
 *   <tr><td>{@code memory.fill}, {@code memory.copy}, {@code memory.init}, {@code table.fill},
 *       {@code table.copy}, {@code table.init}</td>
 *       <td>1 + the length operand (an i32 read as unsigned: bytes or elements)</td></tr>
 *   <tr><td>{@code table.grow}</td>
 *       <td>1 + the delta + the table's size before the grow (Chicory copies the whole table)</td></tr>
 *   <tr><td>{@code memory.grow}</td><td>1 + {@value #PAGE_COST} per page asked for</td></tr>
 *   <tr><td>every other operator (including {@code if}, {@code br*}, {@code call*})</td>
 *       <td>1</td></tr>
 * </table>
 *
 * <p>Lengths are charged before the operator runs, whether or not it then traps or fails (a failed
 * grow costs what it asked for). The GC proposal's {@code array} allocations and bulk operators
 * have no price here: a module using them is refused ({@link #requirePriced}). Host functions
 * charge for their own work through {@link HostCallCharges}.
 */
final class CostModel {
  /**
   * Fuel per page of {@code memory.grow}: one unit per 64 bytes. Growth zero-fills fresh pages in
   * the JVM's allocator, far cheaper per byte than a guest's {@code memory.fill}, and memory never
   * shrinks, so an attempt's growth is bounded by its ram cap whatever it pays.
   */
  static final long PAGE_COST = 1_024;

  /** How an operator's operand adds to its cost. */
  enum Bulk {
    /** Nothing: the operator costs its fixed cost. */
    NONE,
    /** The i32 on top of the stack: a count of bytes or elements. */
    LENGTH,
    /** The i32 on top of the stack, in pages, times {@link #PAGE_COST}. */
    PAGES,
    /** The i32 delta on top of the stack plus the size of the table grown. */
    TABLE_GROW
  }

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

  private static final Set<OpCode> LENGTH =
      EnumSet.of(
          OpCode.MEMORY_FILL,
          OpCode.MEMORY_COPY,
          OpCode.MEMORY_INIT,
          OpCode.TABLE_FILL,
          OpCode.TABLE_COPY,
          OpCode.TABLE_INIT);

  /** Operators whose work depends on an operand this model does not price. */
  private static final Set<OpCode> UNPRICED =
      EnumSet.of(
          OpCode.ARRAY_NEW,
          OpCode.ARRAY_NEW_DEFAULT,
          OpCode.ARRAY_NEW_FIXED,
          OpCode.ARRAY_NEW_DATA,
          OpCode.ARRAY_NEW_ELEM,
          OpCode.ARRAY_FILL,
          OpCode.ARRAY_COPY,
          OpCode.ARRAY_INIT_DATA,
          OpCode.ARRAY_INIT_ELEM);

  private CostModel() {}

  /** The fixed cost of one execution of {@code opcode}. */
  static int cost(OpCode opcode) {
    return FREE.contains(opcode) ? 0 : 1;
  }

  /** What {@code opcode} costs beyond its fixed cost. */
  static Bulk bulk(OpCode opcode) {
    if (LENGTH.contains(opcode)) {
      return Bulk.LENGTH;
    }
    if (opcode == OpCode.MEMORY_GROW) {
      return Bulk.PAGES;
    }
    return opcode == OpCode.TABLE_GROW ? Bulk.TABLE_GROW : Bulk.NONE;
  }

  /** Whether {@code opcode} also costs an operand (the i32 on top of the stack). */
  static boolean chargesLength(OpCode opcode) {
    return bulk(opcode) != Bulk.NONE;
  }

  /**
   * Fails closed on an operator whose cost this model cannot state.
   *
   * @throws InvalidModuleException naming the operator
   */
  static void requirePriced(OpCode opcode) {
    if (UNPRICED.contains(opcode)) {
      throw new InvalidModuleException(
          "operator "
              + opcode.name().toLowerCase(Locale.ROOT).replaceFirst("_", ".")
              + " is not supported: the fuel meter cannot price its work");
    }
  }
}
