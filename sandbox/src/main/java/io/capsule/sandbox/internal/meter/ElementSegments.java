package io.capsule.sandbox.internal.meter;

/**
 * Rewrites the element section, moving every function index (listed directly or in a {@code
 * ref.func} expression) past the added import. The segment flags say which fields are present: bit
 * 0 passive/declarative, bit 1 explicit table index (or declarative), bit 2 expressions instead of
 * function indices.
 */
final class ElementSegments {
  private static final int PASSIVE_OR_DECLARATIVE = 1;
  private static final int EXPLICIT_TABLE = 2;
  private static final int EXPRESSIONS = 4;

  private ElementSegments() {}

  static byte[] rewrite(byte[] module, int start, int end, MeterLayout layout) {
    var in = new WasmReader(module, start);
    int count = in.u32();
    var out = new WasmWriter().u32(count);
    for (int i = 0; i < count; i++) {
      rewriteSegment(in, module, out, layout);
    }
    if (in.position() != end) {
      throw new IllegalStateException("element section size mismatch");
    }
    return out.toByteArray();
  }

  private static void rewriteSegment(
      WasmReader in, byte[] module, WasmWriter out, MeterLayout layout) {
    int flags = in.u32();
    out.u32(flags);
    boolean active = (flags & PASSIVE_OR_DECLARATIVE) == 0;
    if (active && (flags & EXPLICIT_TABLE) != 0) {
      out.u32(in.u32());
    }
    if (active) {
      ConstantExpressions.copy(in, module, out, layout);
    }
    if ((flags & (PASSIVE_OR_DECLARATIVE | EXPLICIT_TABLE)) != 0) {
      copyKind(in, module, out, (flags & EXPRESSIONS) != 0);
    }
    int items = in.u32();
    out.u32(items);
    for (int i = 0; i < items; i++) {
      if ((flags & EXPRESSIONS) != 0) {
        ConstantExpressions.copy(in, module, out, layout);
      } else {
        out.u32(layout.shiftFunction(Integer.toUnsignedLong(in.u32())));
      }
    }
  }

  /** Copies an element kind (one byte) or a reference type. */
  private static void copyKind(WasmReader in, byte[] module, WasmWriter out, boolean refType) {
    int kindStart = in.position();
    if (refType) {
      ValueTypes.skip(in);
    } else {
      in.u8();
    }
    out.bytes(module, kindStart, in.position());
  }
}
