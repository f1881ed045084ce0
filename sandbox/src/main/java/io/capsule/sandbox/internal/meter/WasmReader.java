package io.capsule.sandbox.internal.meter;

import java.nio.charset.StandardCharsets;

/**
 * Reads the primitive encodings of the WebAssembly binary format (bytes, LEB128 integers, names)
 * from a module held in memory. Positions are absolute offsets into the module.
 */
public final class WasmReader {
  private final byte[] bytes;
  private int position;

  public WasmReader(byte[] bytes, int position) {
    this.bytes = bytes;
    this.position = position;
  }

  public int position() {
    return position;
  }

  public void seek(int newPosition) {
    position = newPosition;
  }

  public boolean atEnd() {
    return position >= bytes.length;
  }

  public int u8() {
    return bytes[position++] & 0xff;
  }

  /** An unsigned LEB128 integer of up to 32 bits. */
  public int u32() {
    long result = 0;
    int shift = 0;
    int b;
    do {
      b = u8();
      result |= (long) (b & 0x7f) << shift;
      shift += 7;
    } while ((b & 0x80) != 0);
    return (int) result;
  }

  /** Skips a signed LEB128 integer of any width. */
  public void skipLeb() {
    while ((u8() & 0x80) != 0) {
      // continuation bit set: keep going
    }
  }

  public void skip(int count) {
    position += count;
  }

  public String name() {
    int length = u32();
    String name = new String(bytes, position, length, StandardCharsets.UTF_8);
    position += length;
    return name;
  }
}
