package io.capsule.sandbox.internal.net;

/**
 * The contents of a JSON string written from well-formed UTF-8 bytes without decoding them: the
 * quote, the backslash and control characters are escaped ({@code \n}, {@code \r}, {@code \t},
 * {@code \b}, {@code \f}, else a six-character {@code u00XX} escape), every other byte is copied as
 * it is.
 */
final class JsonText {
  private static final byte[] HEX =
      "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private JsonText() {}

  /** The length of {@code utf8} escaped. */
  static long escapedLength(byte[] utf8) {
    long length = 0;
    for (byte b : utf8) {
      length += 1 + extra(b);
    }
    return length;
  }

  /** Writes {@code utf8} escaped into {@code out} at {@code at}; the end. */
  static int escape(byte[] utf8, byte[] out, int at) {
    for (byte b : utf8) {
      char shortForm = shortForm(b);
      if (extra(b) == 0) {
        out[at++] = b;
      } else if (shortForm != 0) {
        out[at++] = '\\';
        out[at++] = (byte) shortForm;
      } else {
        out[at++] = '\\';
        out[at++] = 'u';
        out[at++] = '0';
        out[at++] = '0';
        out[at++] = HEX[b >> 4];
        out[at++] = HEX[b & 0xF];
      }
    }
    return at;
  }

  /** The bytes beyond one that {@code b} takes escaped. */
  private static int extra(byte b) {
    if (b == '"' || b == '\\') {
      return 1;
    }
    if (b < 0 || b >= 0x20) {
      return 0; // a byte of a multi-byte character, or printable ASCII
    }
    return shortForm(b) != 0 ? 1 : 5;
  }

  private static char shortForm(byte b) {
    return switch (b) {
      case '"' -> '"';
      case '\\' -> '\\';
      case '\n' -> 'n';
      case '\r' -> 'r';
      case '\t' -> 't';
      case '\b' -> 'b';
      case '\f' -> 'f';
      default -> 0;
    };
  }
}
