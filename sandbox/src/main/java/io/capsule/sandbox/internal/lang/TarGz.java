package io.capsule.sandbox.internal.lang;

import io.capsule.protocol.InternalException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;

/** Reads one regular file out of a gzipped ustar archive (what npm tarballs are). */
final class TarGz {
  private static final int BLOCK = 512;

  private TarGz() {}

  static byte[] entry(byte[] tgz, String name) throws IOException {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(tgz))) {
      byte[] header = new byte[BLOCK];
      while (in.readNBytes(header, 0, BLOCK) == BLOCK && header[0] != 0) {
        String prefix = field(header, 345, 155);
        String path =
            prefix.isEmpty() ? field(header, 0, 100) : prefix + "/" + field(header, 0, 100);
        String octal = field(header, 124, 12).trim();
        long size = octal.isEmpty() ? 0 : Long.parseLong(octal, 8);
        byte[] body = in.readNBytes((int) size);
        in.skipNBytes((BLOCK - size % BLOCK) % BLOCK);
        if (path.equals(name) && (header[156] == '0' || header[156] == 0)) {
          return body;
        }
      }
    }
    throw new InternalException("archive has no " + name);
  }

  private static String field(byte[] header, int offset, int length) {
    int end = offset;
    while (end < offset + length && header[end] != 0) {
      end++;
    }
    return new String(header, offset, end - offset, StandardCharsets.UTF_8);
  }
}
