package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.wasm.types.OpCode;
import io.capsule.protocol.InvalidModuleException;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * What each executed WebAssembly operator costs, in fuel units. This is wasmtime's model, so a
 * budget means the same here as there, plus a charge for bulk work, so that one operator cannot
 * make the host do unbounded work for a fixed price. One unit is about what one ordinary operator
 * takes in compiled code (~1 ns); the bulk prices follow what Chicory 1.7.5 spends per byte or
 * element (measured compiled, see {@code docs/fuel.md}):
 *
 * <table>
 *   <caption>Fuel cost per executed operator</caption>
 *   <tr><th>Operator</th><th>Cost</th></tr>
 *   <tr><td>{@code nop}, {@code drop}</td><td>0 (no code is generated for them)</td></tr>
 *   <tr><td>{@code block}, {@code loop}, {@code else}, {@code end}</td><td>0 (structure only)</td></tr>
 *   <tr><td>{@code unreachable}, {@code return}</td><td>0</td></tr>
 *   <tr><td>{@code memory.fill}, {@code memory.copy}, {@code memory.init}</td>
 *       <td>1 + the length operand (an i32 read as unsigned), in bytes</td></tr>
 *   <tr><td>{@code table.fill}, {@code table.copy}</td>
 *       <td>1 + {@value #TABLE_ELEMENT_COST} per element</td></tr>
 *   <tr><td>{@code table.grow}</td>
 *       <td>1 + {@value #TABLE_ELEMENT_COST} per element of the delta and of the table's size
 *       before the grow (Chicory copies the whole table)</td></tr>
 *   <tr><td>{@code table.init}</td>
 *       <td>1 + {@value #SEGMENT_ELEMENT_COST} per element (Chicory evaluates each element's
 *       constant expression)</td></tr>
 *   <tr><td>{@code memory.grow}</td><td>1 + {@value #PAGE_COST} per page asked for</td></tr>
 *   <tr><td>every other operator (including {@code if}, {@code br*}, {@code call*})</td>
 *       <td>1</td></tr>
 * </table>
 *
 * <p>Lengths are charged before the operator runs, whether or not it then traps or fails (a failed
 * grow costs what it asked for). The GC proposal's {@code array} allocations and bulk operators
 * have no price here: a module using them is refused ({@link #requirePriced}). Host functions
 * charge for their own work through {@code internal.HostCallCharges}.
 */
final class CostModel {
  /**
   * Fuel per table element written by {@code table.fill}, {@code table.copy}, {@code table.grow}.
   */
  static final long TABLE_ELEMENT_COST = 8;

  /** Fuel per element {@code table.init} copies from an element segment. */
  static final long SEGMENT_ELEMENT_COST = 128;

  /**
   * Fuel per page of {@code memory.grow}: one unit per 64 bytes. That is below the measured cost of
   * Chicory's fresh zeroed page, on purpose: memory never shrinks, so an attempt's growth is
   * bounded by its ram cap whatever it pays, and a full price would make an ordinary program that
   * grows to 64 MiB pay two thirds of LOW.
   */
  static final long PAGE_COST = 1_024;

  /** How an operator's i32 operand (on top of the stack) adds to its cost. */
  enum Bulk {
    /** Nothing: the operator costs its fixed cost. */
    NONE(0),
    /** A count of bytes. */
    BYTES(1),
    /** A count of table elements. */
    TABLE_ELEMENTS(TABLE_ELEMENT_COST),
    /** A count of element-segment elements. */
    SEGMENT_ELEMENTS(SEGMENT_ELEMENT_COST),
    /** A count of pages. */
    PAGES(PAGE_COST),
    /** The delta of a table grow, which also costs the size of the table grown. */
    TABLE_GROW(TABLE_ELEMENT_COST);

    private final long unitCost;

    Bulk(long unitCost) {
      this.unitCost = unitCost;
    }

    /** Fuel per unit of the operand. */
    long unitCost() {
      return unitCost;
    }
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

  private static final Set<OpCode> BYTES =
      EnumSet.of(OpCode.MEMORY_FILL, OpCode.MEMORY_COPY, OpCode.MEMORY_INIT);

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
    if (BYTES.contains(opcode)) {
      return Bulk.BYTES;
    }
    switch (opcode) {
      case TABLE_FILL:
      case TABLE_COPY:
        return Bulk.TABLE_ELEMENTS;
      case TABLE_INIT:
        return Bulk.SEGMENT_ELEMENTS;
      case TABLE_GROW:
        return Bulk.TABLE_GROW;
      case MEMORY_GROW:
        return Bulk.PAGES;
      default:
        return Bulk.NONE;
    }
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
