package io.capsule.sandbox.internal.meter;

/** Skips over value types and limits, whose encodings have variable length. */
final class ValueTypes {
  private static final int REF_NULLABLE = 0x63;
  private static final int REF = 0x64;
  private static final int HAS_MAXIMUM = 0x01;

  private ValueTypes() {}

  /** Skips a value type: one byte, or a reference prefix and a heap type. */
  static void skip(WasmReader in) {
    int b = in.u8();
    if (b == REF_NULLABLE || b == REF) {
      in.skipLeb();
    }
  }

  /** Skips the limits of a table or memory. */
  static void skipLimits(WasmReader in) {
    int flags = in.u8();
    in.skipLeb();
    if ((flags & HAS_MAXIMUM) != 0) {
      in.skipLeb();
    }
  }
}
