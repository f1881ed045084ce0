package io.capsule.cli;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The local daemon's wire format over its Unix domain socket. A request is the magic number, the
 * format version, a kind byte and (for a task) the command name, its arguments as typed, the
 * caller's working directory and environment. The reply is a sequence of frames: a type byte, a
 * length and that many bytes — {@code A} (empty) once the daemon took a task on (or {@code D} and
 * the reason, alone, when it declines one: the caller then runs it itself), {@code O} stdout bytes,
 * {@code E} stderr bytes, and last {@code X} the exit code. Strings are UTF-8 with an int length.
 * Anything else is refused with an {@link IOException}: the daemon drops that connection and serves
 * on.
 */
final class DaemonWire {
  static final int MAGIC = 0x43505344; // "CPSD"
  static final int VERSION = 1;
  static final byte ACCEPTED = 'A';
  static final byte DECLINED = 'D';
  static final byte STDOUT = 'O';
  static final byte STDERR = 'E';
  static final byte EXIT = 'X';
  private static final int MAX_STRING = 16 << 20;
  private static final int MAX_COUNT = 1 << 16;

  private DaemonWire() {}

  /** What a client asks. */
  enum Kind {
    /** Run {@code capsule run|exec ARGS} as the caller would. */
    TASK('T'),
    /** Print the daemon's state. */
    STATUS('S'),
    /** Stop the daemon after replying. */
    STOP('Q');

    final byte code;

    Kind(char code) {
      this.code = (byte) code;
    }

    static Kind of(byte code) throws IOException {
      for (Kind k : values()) {
        if (k.code == code) {
          return k;
        }
      }
      throw new IOException("unknown request kind " + code);
    }
  }

  /**
   * One request.
   *
   * @param kind what is asked
   * @param command {@code run} or {@code exec} (tasks only, else empty)
   * @param args the command's arguments as the caller typed them
   * @param cwd the caller's working directory
   * @param environment the caller's variables ({@code .env} included)
   */
  record Request(
      Kind kind, String command, List<String> args, String cwd, Map<String, String> environment) {
    Request {
      args = List.copyOf(args);
      environment = Map.copyOf(environment);
    }

    static Request of(Kind kind) {
      return new Request(kind, "", List.of(), "", Map.of());
    }
  }

  /** One reply frame. */
  record Frame(byte type, byte[] data) {
    /** The exit code of an {@link #EXIT} frame. */
    int exitCode() {
      return ByteBuffer.wrap(data).getInt();
    }
  }

  static void writeRequest(OutputStream stream, Request request) throws IOException {
    var out = new DataOutputStream(stream);
    out.writeInt(MAGIC);
    out.writeByte(VERSION);
    out.writeByte(request.kind().code);
    writeString(out, request.command());
    out.writeInt(request.args().size());
    for (String arg : request.args()) {
      writeString(out, arg);
    }
    writeString(out, request.cwd());
    out.writeInt(request.environment().size());
    for (var e : request.environment().entrySet()) {
      writeString(out, e.getKey());
      writeString(out, e.getValue());
    }
    out.flush();
  }

  static Request readRequest(InputStream stream) throws IOException {
    var in = new DataInputStream(stream);
    if (in.readInt() != MAGIC) {
      throw new IOException("not a capsule daemon request");
    }
    int version = in.readUnsignedByte();
    if (version != VERSION) {
      throw new IOException("request format " + version + ", this daemon speaks " + VERSION);
    }
    Kind kind = Kind.of(in.readByte());
    String command = readString(in);
    List<String> args = new ArrayList<>();
    for (int i = count(in); i > 0; i--) {
      args.add(readString(in));
    }
    String cwd = readString(in);
    Map<String, String> env = new LinkedHashMap<>();
    for (int i = count(in); i > 0; i--) {
      env.put(readString(in), readString(in));
    }
    return new Request(kind, command, args, cwd, env);
  }

  static void writeFrame(OutputStream stream, byte type, byte[] data, int length)
      throws IOException {
    var out = new DataOutputStream(stream);
    out.writeByte(type);
    out.writeInt(length);
    out.write(data, 0, length);
    out.flush();
  }

  static void writeExit(OutputStream stream, int code) throws IOException {
    writeFrame(stream, EXIT, ByteBuffer.allocate(4).putInt(code).array(), 4);
  }

  /** The next frame, or {@code null} at the end of the stream. */
  static Frame readFrame(InputStream stream) throws IOException {
    var in = new DataInputStream(stream);
    int type = in.read();
    if (type < 0) {
      return null;
    }
    int length = in.readInt();
    if (length < 0 || length > MAX_STRING || (type == EXIT && length != 4)) {
      throw new IOException("bad reply frame");
    }
    return new Frame((byte) type, in.readNBytes(length));
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  private static String readString(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > MAX_STRING) {
      throw new IOException("string of " + length + " bytes");
    }
    byte[] bytes = in.readNBytes(length);
    if (bytes.length != length) {
      throw new EOFException();
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static int count(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > MAX_COUNT) {
      throw new IOException("count " + n);
    }
    return n;
  }

  /**
   * A stream reading the channel directly. Unlike {@code Channels.newInputStream}, a read blocked
   * here does not hold the channel's blocking lock, so another thread can write replies meanwhile.
   */
  static InputStream in(SocketChannel channel) {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return len == 0 ? 0 : channel.read(ByteBuffer.wrap(b, off, len));
      }
    };
  }

  /** A stream writing the channel directly (see {@link #in}). */
  static OutputStream out(SocketChannel channel) {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
      }
    };
  }
}
