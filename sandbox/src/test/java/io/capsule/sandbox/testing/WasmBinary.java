package io.capsule.sandbox.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes WebAssembly binaries by hand, for test modules that use proposals the text assembler does
 * not accept (GC, multi-memory, shared memory) or that are too large to assemble quickly.
 */
public final class WasmBinary {
  /** Section ids. */
  public static final int TYPE = 1;

  public static final int FUNCTION = 3;
  public static final int MEMORY = 5;
  public static final int EXPORT = 7;
  public static final int CODE = 10;

  private WasmBinary() {}

  /** A module of these sections. */
  public static byte[] module(byte[]... sections) {
    return concat(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0}, concat(sections));
  }

  /** A section: its id, then its contents' size and contents. */
  public static byte[] section(int id, byte[]... contents) {
    byte[] body = concat(contents);
    return concat(new byte[] {(byte) id}, u32(body.length), body);
  }

  /** A vector: its count, then its items. */
  public static byte[] vec(byte[]... items) {
    return concat(u32(items.length), concat(items));
  }

  /** A function body: its size, its locals declaration and its code (ending in {@code end}). */
  public static byte[] body(byte[] locals, byte[] code) {
    byte[] both = concat(locals, code);
    return concat(u32(both.length), both);
  }

  /** An export of {@code kind} (0 function, 2 memory) named {@code name}. */
  public static byte[] export(String name, int kind, int index) {
    byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
    return concat(u32(utf8.length), utf8, new byte[] {(byte) kind}, u32(index));
  }

  /** Raw bytes. */
  public static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  /** An unsigned LEB128 number. */
  public static byte[] u32(long value) {
    var out = new ByteArrayOutputStream();
    do {
      int b = (int) (value & 0x7F);
      value >>>= 7;
      out.write(value == 0 ? b : b | 0x80);
    } while (value != 0);
    return out.toByteArray();
  }

  /** A signed LEB128 number. */
  public static byte[] s32(long value) {
    var out = new ByteArrayOutputStream();
    while (true) {
      int b = (int) (value & 0x7F);
      value >>= 7;
      boolean done = (value == 0 && (b & 0x40) == 0) || (value == -1 && (b & 0x40) != 0);
      out.write(done ? b : b | 0x80);
      if (done) {
        return out.toByteArray();
      }
    }
  }

  /** The parts one after another. */
  public static byte[] concat(byte[]... parts) {
    var out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  /** {@code part} {@code times} times. */
  public static byte[] repeat(byte[] part, int times) {
    var out = new ByteArrayOutputStream();
    for (int i = 0; i < times; i++) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }
}
