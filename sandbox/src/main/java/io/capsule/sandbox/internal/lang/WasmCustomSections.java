package io.capsule.sandbox.internal.lang;

import java.io.ByteArrayOutputStream;

/** Drops custom sections (debug info, names) from a module: they are half of CPython's bytes. */
final class WasmCustomSections {
  private WasmCustomSections() {}

  static byte[] strip(byte[] wasm) {
    var out = new ByteArrayOutputStream(wasm.length);
    out.write(wasm, 0, 8);
    int pos = 8;
    while (pos < wasm.length) {
      int id = wasm[pos] & 0xff;
      int start = pos;
      pos++;
      long size = 0;
      int shift = 0;
      int b;
      do {
        b = wasm[pos++] & 0xff;
        size |= (long) (b & 0x7f) << shift;
        shift += 7;
      } while ((b & 0x80) != 0);
      int end = pos + (int) size;
      if (id != 0) {
        out.write(wasm, start, end - start);
      }
      pos = end;
    }
    return out.toByteArray();
  }
}
