package io.capsule.sandbox.internal.meter;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Writes the primitive encodings of the WebAssembly binary format into a growing buffer. */
public final class WasmWriter {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  public WasmWriter u8(int value) {
    out.write(value);
    return this;
  }

  /** An unsigned LEB128 integer. */
  public WasmWriter u32(long value) {
    long v = value;
    do {
      int b = (int) (v & 0x7f);
      v >>>= 7;
      out.write(v != 0 ? b | 0x80 : b);
    } while (v != 0);
    return this;
  }

  /** A signed LEB128 integer. */
  public WasmWriter s64(long value) {
    long v = value;
    while (true) {
      int b = (int) (v & 0x7f);
      v >>= 7;
      boolean done = (v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0);
      out.write(done ? b : b | 0x80);
      if (done) {
        return this;
      }
    }
  }

  public WasmWriter bytes(byte[] source, int from, int to) {
    out.write(source, from, to - from);
    return this;
  }

  public WasmWriter bytes(byte[] source) {
    return bytes(source, 0, source.length);
  }

  public WasmWriter name(String name) {
    byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
    return u32(utf8.length).bytes(utf8);
  }

  /** Writes a section: its id, its size and the content. */
  public WasmWriter section(int id, byte[] content) {
    return u8(id).u32(content.length).bytes(content);
  }

  public int size() {
    return out.size();
  }

  public byte[] toByteArray() {
    return out.toByteArray();
  }
}
