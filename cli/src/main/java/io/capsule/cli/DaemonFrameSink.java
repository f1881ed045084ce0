package io.capsule.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The daemon's side of one connection's frames ({@link DaemonWire}); a write that fails marks the
 * caller gone and drops the rest.
 */
final class DaemonFrameSink {
  private final OutputStream out;
  private boolean broken;

  DaemonFrameSink(SocketChannel channel) {
    this.out = new BufferedOutputStream(DaemonWire.out(channel));
  }

  /** Answers a status or stop request: {@code text} on stdout, then exit code {@code code}. */
  static void reply(SocketChannel channel, String text, int code) throws IOException {
    var sink = new DaemonFrameSink(channel);
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    DaemonWire.writeFrame(sink.out, DaemonWire.STDOUT, bytes, bytes.length);
    DaemonWire.writeExit(sink.out, code);
  }

  /** Tells the caller the daemon runs its task. */
  synchronized void accepted() throws IOException {
    DaemonWire.writeFrame(out, DaemonWire.ACCEPTED, new byte[0], 0);
  }

  /** Tells the caller to run its task itself, and why. */
  synchronized void declined(String reason) throws IOException {
    byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
    DaemonWire.writeFrame(out, DaemonWire.DECLINED, bytes, bytes.length);
  }

  synchronized void write(byte type, byte[] data, int length) {
    if (broken) {
      return;
    }
    try {
      DaemonWire.writeFrame(out, type, data, length);
    } catch (IOException e) {
      broken = true;
    }
  }

  /** The task's exit code: the last frame. */
  synchronized void exit(int code) throws IOException {
    if (!broken) {
      DaemonWire.writeExit(out, code);
    }
  }

  /** A writer whose text goes out as frames of {@code type} (stdout or stderr). */
  PrintWriter writer(byte type) {
    OutputStream frames =
        new OutputStream() {
          @Override
          public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) {
            DaemonFrameSink.this.write(type, Arrays.copyOfRange(b, off, off + len), len);
          }
        };
    return new PrintWriter(new OutputStreamWriter(frames, StandardCharsets.UTF_8), false);
  }
}
