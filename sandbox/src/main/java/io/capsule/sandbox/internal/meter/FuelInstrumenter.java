package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.MemorySection;
import com.dylibso.chicory.wasm.types.TagSection;
import io.capsule.protocol.InternalException;
import io.capsule.protocol.InvalidModuleException;
import java.nio.BufferUnderflowException;
import java.util.Locale;

/**
 * Rewrites a WebAssembly module so that it counts its own fuel, deterministically and identically
 * in Chicory's interpreter and compiler.
 *
 * <p>The rewritten module:
 *
 * <ul>
 *   <li>imports {@value #METER_MODULE}.{@value #REFILL_FUNCTION} {@code (param i64) (result i64)},
 *       appended after the module's own imports (so every function the module defines moves up one
 *       index; calls, {@code ref.func}, element segments, exports and the start function follow);
 *   <li>exports the mutable i64 global {@value #FUEL_GLOBAL}, initially 0: the fuel left in the
 *       current chunk, negative when overdrawn;
 *   <li>charges every executed operator its {@linkplain CostModel cost} and calls refill with the
 *       (negative) count when it checks and finds the chunk overdrawn: at the entry of every
 *       function that calls, at every loop header, and after charging the length operand of a bulk
 *       operator ({@code memory.fill}, {@code table.grow}, …). Refill returns the new count or
 *       throws.
 * </ul>
 *
 * <p>Functions with loops count in an i64 local written back to the global around calls and
 * returns; loop-free functions charge the global (see {@link MeteringStrategy}); functions only
 * ever called directly receive the caller's count as an extra trailing i64 parameter and, when they
 * have no result or one i32 result, hand it back in their result (see {@link FuelParameters}), so
 * their type in the rewritten module differs. Costs are charged per straight-line segment, up
 * front, so after a trap the global may be ahead of the operators that really ran by at most the
 * rest of one segment per active frame.
 */
public final class FuelInstrumenter {
  /** The import module of the refill function. */
  public static final String METER_MODULE = "capsule_meter";

  /** The import name of the refill function. */
  public static final String REFILL_FUNCTION = "refill";

  /** The export name of the fuel global. */
  public static final String FUEL_GLOBAL = "capsule_fuel";

  private FuelInstrumenter() {}

  /**
   * Validates and rewrites a module.
   *
   * @param wasm the binary module
   * @return the metered module
   * @throws InvalidModuleException when the module is not valid WebAssembly, already uses the
   *     meter's import module or export name, or uses an operator the {@linkplain CostModel cost
   *     model} cannot price (the GC proposal's array allocations and bulk operators)
   */
  public static InstrumentedModule instrument(byte[] wasm) {
    return instrument(wasm, MeteringStrategy.HYBRID);
  }

  static InstrumentedModule instrument(byte[] wasm, MeteringStrategy strategy) {
    WasmModule original = parse(wasm);
    refuseReservedNames(original);
    refuseUnknownExports(original);
    byte[] rewritten = ModuleRewriter.rewrite(wasm, original, strategy);
    try {
      return new InstrumentedModule(rewritten, Parser.parse(rewritten));
    } catch (ChicoryException e) {
      throw new InternalException("fuel instrumentation produced an invalid module", e);
    }
  }

  private static WasmModule parse(byte[] wasm) {
    try {
      return Parser.parse(wasm);
    } catch (ChicoryException
        | BufferUnderflowException
        | IllegalArgumentException
        | IndexOutOfBoundsException e) {
      throw new InvalidModuleException("invalid WebAssembly module: " + firstLine(e), e);
    }
  }

  private static void refuseReservedNames(WasmModule module) {
    module.importSection().stream()
        .filter(i -> i.module().equals(METER_MODULE))
        .findFirst()
        .ifPresent(
            i -> {
              throw new InvalidModuleException(
                  "module imports from the reserved module \"" + METER_MODULE + "\"");
            });
    for (int i = 0; i < module.exportSection().exportCount(); i++) {
      Export export = module.exportSection().getExport(i);
      if (export.name().equals(FUEL_GLOBAL)) {
        throw new InvalidModuleException(
            "module exports the reserved name \"" + FUEL_GLOBAL + "\"");
      }
    }
  }

  /**
   * Chicory checks export indices only when it instantiates, and the rewritten module has one
   * global more than the original: an export of the global just past the original's would name the
   * fuel global (and a module the spec calls invalid would run).
   */
  private static void refuseUnknownExports(WasmModule module) {
    for (int i = 0; i < module.exportSection().exportCount(); i++) {
      Export export = module.exportSection().getExport(i);
      ExternalType kind = export.exportType();
      long count = module.importSection().count(kind) + definedCount(module, kind);
      if (Integer.toUnsignedLong(export.index()) >= count) {
        throw new InvalidModuleException(
            "export \""
                + export.name()
                + "\" names unknown "
                + kind.name().toLowerCase(Locale.ROOT)
                + " "
                + Integer.toUnsignedString(export.index()));
      }
    }
  }

  private static int definedCount(WasmModule module, ExternalType kind) {
    return switch (kind) {
      case FUNCTION -> module.functionSection().functionCount();
      case GLOBAL -> module.globalSection().globalCount();
      case TABLE -> module.tableSection().tableCount();
      case MEMORY -> module.memorySection().map(MemorySection::memoryCount).orElse(0);
      case TAG -> module.tagSection().map(TagSection::tagCount).orElse(0);
    };
  }

  private static String firstLine(Exception e) {
    String message = String.valueOf(e.getMessage()).strip();
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
