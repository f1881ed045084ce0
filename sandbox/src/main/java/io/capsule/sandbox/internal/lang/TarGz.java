package io.capsule.sandbox.internal.lang;

import io.capsule.protocol.InternalException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;

/**
 * Reads one regular file out of a gzipped ustar archive (what npm tarballs are) into memory;
 * nothing is written to disk under a name the archive chose, so an entry named {@code ../x} or an
 * absolute path can only fail to match. Every header is checked: a size that is not octal or is
 * over {@value #MAX_ENTRY_BYTES}, an archive that inflates past {@value #MAX_INFLATED_BYTES} (a
 * gzip bomb), a truncated body, or the name appearing as a link or twice is refused with {@link
 * InternalException}.
 */
final class TarGz {
  /** The largest entry read (CPython's module, the largest asked for, is 26 MB). */
  static final long MAX_ENTRY_BYTES = 128L << 20;

  /** How much an archive may inflate to while looking for the entry. */
  static final long MAX_INFLATED_BYTES = 512L << 20;

  private static final int BLOCK = 512;

  private TarGz() {}

  /**
   * The bytes of the regular file {@code name} ({@code package/…}) in {@code tgz}.
   *
   * @throws InternalException when there is no such file, or the archive is malformed or hostile
   */
  static byte[] entry(byte[] tgz, String name) throws IOException {
    return entry(tgz, name, MAX_INFLATED_BYTES);
  }

  /** {@link #entry(byte[], String)} with another bound on what the archive inflates to. */
  static byte[] entry(byte[] tgz, String name, long maxInflated) throws IOException {
    byte[] found = null;
    long inflated = 0;
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(tgz))) {
      byte[] header = new byte[BLOCK];
      while (in.readNBytes(header, 0, BLOCK) == BLOCK && header[0] != 0) {
        String path = path(header);
        long size = size(header, path);
        byte type = header[156];
        inflated += BLOCK + padded(size);
        if (inflated > maxInflated) {
          throw malformed("it inflates past " + maxInflated + " bytes");
        }
        if (!path.equals(name)) {
          skip(in, padded(size));
          continue;
        }
        if (found != null || (type != '0' && type != 0)) {
          throw malformed(name + " appears twice or is not a regular file (type " + type + ")");
        }
        found = body(in, size, name);
      }
    } catch (java.util.zip.ZipException | java.io.EOFException e) {
      throw malformed("it is not a complete gzip stream: " + e.getMessage());
    }
    if (found == null) {
      throw new InternalException("archive has no " + name);
    }
    return found;
  }

  private static String path(byte[] header) {
    String prefix = field(header, 345, 155);
    String name = field(header, 0, 100);
    return prefix.isEmpty() ? name : prefix + "/" + name;
  }

  private static long size(byte[] header, String path) {
    String octal = field(header, 124, 12).trim();
    if (octal.isEmpty()) {
      return 0;
    }
    if (!octal.matches("[0-7]{1,11}")) {
      throw malformed(path + " has a size field that is not octal");
    }
    long size = Long.parseLong(octal, 8);
    if (size > MAX_ENTRY_BYTES) {
      throw malformed(path + " is " + size + " bytes, over " + MAX_ENTRY_BYTES);
    }
    return size;
  }

  private static byte[] body(InputStream in, long size, String name) throws IOException {
    byte[] body = in.readNBytes((int) size);
    if (body.length != size) {
      throw malformed(name + " is cut short");
    }
    skip(in, padded(size) - size);
    return body;
  }

  private static void skip(InputStream in, long n) throws IOException {
    in.skipNBytes(n);
  }

  private static long padded(long size) {
    return (size + BLOCK - 1) / BLOCK * BLOCK;
  }

  private static InternalException malformed(String why) {
    return new InternalException("refused a package archive: " + why);
  }

  private static String field(byte[] header, int offset, int length) {
    int end = offset;
    while (end < offset + length && header[end] != 0) {
      end++;
    }
    return new String(header, offset, end - offset, StandardCharsets.UTF_8);
  }
}
