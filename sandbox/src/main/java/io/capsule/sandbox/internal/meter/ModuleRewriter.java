package io.capsule.sandbox.internal.meter;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import java.util.Arrays;

/**
 * Rewrites a validated module section by section: appends the refill import (and its type) and the
 * fuel global with its export, moves every defined function index up by one, gives functions that
 * take a fuel parameter their new type, and meters every function body. Sections it does not need
 * to change are copied as they are; the {@code name} custom section is dropped because its function
 * indices would be stale.
 */
final class ModuleRewriter {
  private static final int CUSTOM = 0;
  private static final int TYPE = 1;
  private static final int IMPORT = 2;
  private static final int FUNCTION = 3;
  private static final int TABLE = 4;
  private static final int GLOBAL = 6;
  private static final int EXPORT = 7;
  private static final int START = 8;
  private static final int ELEMENT = 9;
  private static final int CODE = 10;
  private static final int FUNC_TYPE = 0x60;
  private static final int I64 = 0x7E;
  private static final int MUTABLE = 0x01;
  private static final int I64_CONST = 0x42;
  private static final int END = 0x0B;
  private static final int HEADER_SIZE = 8;

  /** Sections that always get an entry, so they are created when the module has none. */
  private static final int[] ADDED_TO = {TYPE, IMPORT, GLOBAL, EXPORT};

  private final byte[] bytes;
  private final WasmModule module;
  private final MeterLayout layout;
  private final WasmWriter out = new WasmWriter();
  private int lastOrder;

  private ModuleRewriter(byte[] bytes, WasmModule module, MeteringStrategy strategy) {
    this.bytes = bytes;
    this.module = module;
    int importedFunctions = module.importSection().count(ExternalType.FUNCTION);
    int globals =
        module.importSection().count(ExternalType.GLOBAL) + module.globalSection().globalCount();
    FunctionShape[] shapes = shapes(module);
    boolean[] checksOnEntry = new boolean[shapes.length];
    for (int i = 0; i < shapes.length; i++) {
      checksOnEntry[i] = shapes[i].checksOnEntry();
    }
    var fuelParameters =
        strategy == MeteringStrategy.GLOBAL
            ? FuelParameters.none(module)
            : FuelParameters.plan(module, shapes, module.typeSection().subTypeCount() + 1);
    this.layout =
        new MeterLayout(
            globals, importedFunctions, importedFunctions, strategy, checksOnEntry, fuelParameters);
  }

  private static FunctionShape[] shapes(WasmModule module) {
    var bodies = module.codeSection().functionBodies();
    var shapes = new FunctionShape[bodies.length];
    for (int i = 0; i < bodies.length; i++) {
      shapes[i] = FunctionShape.of(bodies[i].instructions());
    }
    return shapes;
  }

  /** Rewrites {@code bytes}, which {@code module} was parsed and validated from. */
  static byte[] rewrite(byte[] bytes, WasmModule module, MeteringStrategy strategy) {
    return new ModuleRewriter(bytes, module, strategy).rewrite();
  }

  private byte[] rewrite() {
    out.bytes(bytes, 0, HEADER_SIZE);
    var reader = new WasmReader(bytes, HEADER_SIZE);
    while (!reader.atEnd()) {
      int id = reader.u8();
      int size = reader.u32();
      int start = reader.position();
      if (id != CUSTOM) {
        addMissingSectionsBefore(SectionOrder.of(id));
        lastOrder = SectionOrder.of(id);
      }
      writeSection(id, start, start + size);
      reader.seek(start + size);
    }
    addMissingSectionsBefore(Integer.MAX_VALUE);
    return out.toByteArray();
  }

  private void addMissingSectionsBefore(int order) {
    for (int id : ADDED_TO) {
      int added = SectionOrder.of(id);
      if (added > lastOrder && added < order) {
        writeSection(id, 0, 0);
      }
    }
  }

  private void writeSection(int id, int start, int end) {
    switch (id) {
      case CUSTOM:
        copyCustom(start, end);
        return;
      case TYPE:
        out.section(id, types(start, end));
        return;
      case IMPORT:
        out.section(id, imports(start, end));
        return;
      case FUNCTION:
        out.section(id, functions());
        return;
      case TABLE:
        out.section(id, tables(start, end));
        return;
      case GLOBAL:
        out.section(id, globals(start, end));
        return;
      case EXPORT:
        out.section(id, exports(start, end));
        return;
      case START:
        out.section(id, start(start));
        return;
      case ELEMENT:
        out.section(id, ElementSegments.rewrite(bytes, start, end, layout));
        return;
      case CODE:
        out.section(id, code(start));
        return;
      default:
        out.section(id, Arrays.copyOfRange(bytes, start, end));
    }
  }

  private void copyCustom(int start, int end) {
    var reader = new WasmReader(bytes, start);
    if (!reader.name().equals("name")) {
      out.section(CUSTOM, Arrays.copyOfRange(bytes, start, end));
    }
  }

  /**
   * Existing types, then {@code (func (param i64) (result i64))}, then the types of functions that
   * take a fuel parameter.
   */
  private byte[] types(int start, int end) {
    var fuelParameters = layout.fuelParameters();
    var section = countedPrefix(start, end, 1 + fuelParameters.addedTypeCount());
    section.u8(FUNC_TYPE).u32(1).u8(I64).u32(1).u8(I64);
    fuelParameters.writeAddedTypes(section);
    return section.toByteArray();
  }

  /** The type of each defined function: its own, or its type with a fuel parameter. */
  private byte[] functions() {
    var functions = module.functionSection();
    var section = new WasmWriter().u32(functions.functionCount());
    for (int i = 0; i < functions.functionCount(); i++) {
      int newType = layout.fuelParameters().newType(i);
      section.u32(newType >= 0 ? newType : functions.getFunctionType(i));
    }
    return section.toByteArray();
  }

  /** Existing imports, then the refill function (so imported function indices stay). */
  private byte[] imports(int start, int end) {
    var section = countedPrefix(start, end, 1);
    section.name(FuelInstrumenter.METER_MODULE).name(FuelInstrumenter.REFILL_FUNCTION);
    section.u8(ExternalType.FUNCTION.id()).u32(module.typeSection().subTypeCount());
    return section.toByteArray();
  }

  /** Existing globals (with moved {@code ref.func}s), then the fuel counter, initially 0. */
  private byte[] globals(int start, int end) {
    var in = new WasmReader(bytes, start);
    int count = start == end ? 0 : in.u32();
    var section = new WasmWriter().u32(count + 1L);
    for (int i = 0; i < count; i++) {
      int typeStart = in.position();
      ValueTypes.skip(in);
      in.u8();
      section.bytes(bytes, typeStart, in.position());
      ConstantExpressions.copy(in, bytes, section, layout);
    }
    section.u8(I64).u8(MUTABLE).u8(I64_CONST).u8(0).u8(END);
    return section.toByteArray();
  }

  /** Existing exports (with moved function indices), then the fuel global. */
  private byte[] exports(int start, int end) {
    var in = new WasmReader(bytes, start);
    int count = start == end ? 0 : in.u32();
    var section = new WasmWriter().u32(count + 1L);
    for (int i = 0; i < count; i++) {
      section.name(in.name());
      int kind = in.u8();
      long index = Integer.toUnsignedLong(in.u32());
      section
          .u8(kind)
          .u32(kind == ExternalType.FUNCTION.id() ? layout.shiftFunction(index) : index);
    }
    section.name(FuelInstrumenter.FUEL_GLOBAL).u8(ExternalType.GLOBAL.id());
    return section.u32(layout.fuelGlobal()).toByteArray();
  }

  private byte[] start(int start) {
    long index = Integer.toUnsignedLong(new WasmReader(bytes, start).u32());
    return new WasmWriter().u32(layout.shiftFunction(index)).toByteArray();
  }

  /** Tables are copied, except that an initialiser expression may hold a {@code ref.func}. */
  private byte[] tables(int start, int end) {
    var in = new WasmReader(bytes, start);
    int count = in.u32();
    var section = new WasmWriter().u32(count);
    for (int i = 0; i < count; i++) {
      int tableStart = in.position();
      boolean initialised = in.u8() == 0x40;
      if (initialised) {
        in.u8();
      } else {
        in.seek(tableStart);
      }
      ValueTypes.skip(in);
      ValueTypes.skipLimits(in);
      section.bytes(bytes, tableStart, in.position());
      if (initialised) {
        ConstantExpressions.copy(in, bytes, section, layout);
      }
    }
    return section.toByteArray();
  }

  private byte[] code(int start) {
    var in = new WasmReader(bytes, start);
    int count = in.u32();
    var section = new WasmWriter().u32(count);
    for (int i = 0; i < count; i++) {
      int size = in.u32();
      int bodyStart = in.position();
      int params =
          module.functionSection().getFunctionType(i, module.typeSection()).params().size();
      byte[] body =
          FunctionRewriter.rewrite(
              bytes,
              bodyStart,
              bodyStart + size,
              module.codeSection().getFunctionBody(i),
              new FunctionRewriter.Signature(
                  params,
                  layout.fuelParameters().newType(i) >= 0,
                  layout.fuelParameters().countReturn(layout.importedFunctions() + i)),
              layout);
      section.u32(body.length).bytes(body);
      in.seek(bodyStart + size);
    }
    return section.toByteArray();
  }

  /** A new section content holding the old entry count plus {@code added}, then the old entries. */
  private WasmWriter countedPrefix(int start, int end, int added) {
    if (start == end) {
      return new WasmWriter().u32(added);
    }
    var in = new WasmReader(bytes, start);
    long count = Integer.toUnsignedLong(in.u32());
    return new WasmWriter().u32(count + added).bytes(bytes, in.position(), end);
  }
}
