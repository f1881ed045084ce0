package io.capsule.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Splits a guest's output into lines as it is written and hands each to a listener: what lets a
 * caller show a task's logs while it runs. A line longer than {@value #MAX_LINE} bytes is handed on
 * in pieces of that size, so a guest that never writes a newline makes the host hold no more.
 */
final class GuestLines extends OutputStream {
  static final int MAX_LINE = 8 << 10;

  private final Consumer<String> listener;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

  GuestLines(Consumer<String> listener) {
    this.listener = listener;
  }

  @Override
  public void write(int b) {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public synchronized void write(byte[] bytes, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      if (bytes[i] == '\n') {
        emit();
      } else {
        pending.write(bytes[i]);
        if (pending.size() >= MAX_LINE) {
          emit();
        }
      }
    }
  }

  /** Hands on what is left of a last line without a newline. */
  synchronized void finish() {
    if (pending.size() > 0) {
      emit();
    }
  }

  private void emit() {
    String line = pending.toString(StandardCharsets.UTF_8);
    pending.reset();
    listener.accept(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
  }
}
