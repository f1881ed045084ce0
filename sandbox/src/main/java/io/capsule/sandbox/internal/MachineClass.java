package io.capsule.sandbox.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Just enough of a class file to read the generated machine's dispatch: the code of its {@code
 * call(int, long[])} method, which Chicory 1.7.5 starts with {@code iload_1; lookupswitch} over the
 * functions it runs in its interpreter (the default case calls the compiled ones).
 */
final class MachineClass {
  private static final int ILOAD_1 = 0x1B;
  private static final int LOOKUPSWITCH = 0xAB;
  private static final String CALL = "call";
  private static final String CALL_DESCRIPTOR = "(I[J)[J";

  private final ByteBuffer in;
  private String[] utf8;

  MachineClass(byte[] bytes) {
    this.in = ByteBuffer.wrap(bytes);
  }

  /** The number of cases of the dispatch's {@code lookupswitch}, or -1 for another shape. */
  int interpretedCases() {
    in.position(8);
    readConstantPool();
    in.position(in.position() + 6);
    skip(2 * u2()); // interfaces
    skipMembers(); // fields
    int methods = u2();
    for (int i = 0; i < methods; i++) {
      in.position(in.position() + 2);
      String name = utf8[u2()];
      String descriptor = utf8[u2()];
      int attributes = u2();
      for (int a = 0; a < attributes; a++) {
        String attribute = utf8[u2()];
        int length = in.getInt();
        if (CALL.equals(name) && CALL_DESCRIPTOR.equals(descriptor) && "Code".equals(attribute)) {
          return cases(in.position());
        }
        skip(length);
      }
    }
    return -1;
  }

  /** The cases of a {@code lookupswitch} at the code's second byte ({@code Code} at {@code at}). */
  private int cases(int at) {
    int code = at + 8; // max_stack, max_locals, code_length
    if ((in.get(code) & 0xff) != ILOAD_1 || (in.get(code + 1) & 0xff) != LOOKUPSWITCH) {
      return -1;
    }
    return in.getInt(code + 4 + 4); // aligned to 4 from the code's start: default, then npairs
  }

  private void readConstantPool() {
    int count = u2();
    utf8 = new String[count];
    for (int i = 1; i < count; i++) {
      int tag = in.get() & 0xff;
      switch (tag) {
        case 1 -> {
          byte[] text = new byte[u2()];
          in.get(text);
          utf8[i] = new String(text, StandardCharsets.UTF_8);
        }
        case 3, 4, 9, 10, 11, 12, 17, 18 -> skip(4);
        case 5, 6 -> {
          skip(8);
          i++;
        }
        case 7, 8, 16, 19, 20 -> skip(2);
        case 15 -> skip(3);
        default -> throw new IllegalStateException("constant pool tag " + tag);
      }
    }
  }

  private void skipMembers() {
    int count = u2();
    for (int i = 0; i < count; i++) {
      skip(6);
      int attributes = u2();
      for (int a = 0; a < attributes; a++) {
        skip(2);
        skip(in.getInt());
      }
    }
  }

  private int u2() {
    return in.getShort() & 0xffff;
  }

  private void skip(int bytes) {
    in.position(in.position() + bytes);
  }
}
