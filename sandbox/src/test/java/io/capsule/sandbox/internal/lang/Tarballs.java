package io.capsule.sandbox.internal.lang;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;

/**
 * Writes gzipped ustar archives for tests, hostile ones included (any name, type or size field).
 */
final class Tarballs {
  private final ByteArrayOutputStream tar = new ByteArrayOutputStream();

  /** A regular file. */
  Tarballs file(String name, byte[] body) {
    return entry(name, '0', octal(body.length), body);
  }

  /** An entry of any type, its size field written as given, followed by {@code body}. */
  Tarballs entry(String name, char type, String sizeField, byte[] body) {
    byte[] header = new byte[512];
    put(header, 0, name, 100);
    put(header, 100, "0000644", 8);
    put(header, 124, sizeField, 12);
    header[156] = (byte) type;
    if (type == '2') {
      put(header, 157, "/etc/passwd", 100);
    }
    put(header, 257, "ustar", 6);
    java.util.Arrays.fill(header, 148, 156, (byte) ' ');
    int sum = 0;
    for (byte b : header) {
      sum += b & 0xff;
    }
    put(header, 148, String.format("%06o", sum), 7);
    tar.writeBytes(header);
    tar.writeBytes(body);
    tar.writeBytes(new byte[(512 - body.length % 512) % 512]);
    return this;
  }

  /** A file of {@code size} zero bytes (compresses to almost nothing). */
  Tarballs zeros(String name, int size) {
    return file(name, new byte[size]);
  }

  /** The archive, gzipped, with its two closing blocks. */
  byte[] gzip() {
    var out = new ByteArrayOutputStream();
    try (var gz = new GZIPOutputStream(out)) {
      gz.write(tar.toByteArray());
      gz.write(new byte[1024]);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static String octal(long size) {
    return String.format("%011o", size);
  }

  private static void put(byte[] header, int offset, String value, int length) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    System.arraycopy(bytes, 0, header, offset, Math.min(bytes.length, length));
  }
}
