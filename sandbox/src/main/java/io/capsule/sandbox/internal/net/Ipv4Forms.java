package io.capsule.sandbox.internal.net;

/**
 * The IPv4 spellings the C library's {@code inet_aton} (and so {@code getaddrinfo}) accepts: one to
 * four parts separated by dots, each decimal, octal ({@code 0177}) or hexadecimal ({@code 0x7f});
 * the last part fills the remaining bytes ({@code 127.1} = {@code 127.0.0.1}, {@code 2130706433} =
 * {@code 127.0.0.1}). Names that a resolver would read as an address must be checked as that
 * address.
 */
final class Ipv4Forms {
  private static final int MAX_PART_CHARS = 12;

  private Ipv4Forms() {}

  /** The four bytes {@code host} spells, or {@code null} when it is not an IPv4 form. */
  static byte[] parse(String host) {
    String[] parts = host.split("\\.", -1);
    if (parts.length > 4) {
      return null;
    }
    long[] values = new long[parts.length];
    for (int i = 0; i < parts.length; i++) {
      values[i] = part(parts[i]);
      if (values[i] < 0) {
        return null;
      }
    }
    return pack(values);
  }

  /** Whether the last label is a number in some base: a host that must be an address or nothing. */
  static boolean looksNumeric(String host) {
    String last = host.substring(host.lastIndexOf('.') + 1);
    return !last.isEmpty()
        && (last.chars().allMatch(Character::isDigit)
            || last.startsWith("0x") && last.substring(2).chars().allMatch(Ipv4Forms::isHex));
  }

  private static long part(String p) {
    if (p.isEmpty() || p.length() > MAX_PART_CHARS) {
      return -1;
    }
    if (p.startsWith("0x")) {
      String digits = p.substring(2);
      return !digits.isEmpty() && digits.chars().allMatch(Ipv4Forms::isHex)
          ? Long.parseLong(digits, 16)
          : -1;
    }
    if (!p.chars().allMatch(Character::isDigit)) {
      return -1;
    }
    if (p.length() > 1 && p.startsWith("0")) {
      return p.chars().allMatch(c -> c >= '0' && c <= '7') ? Long.parseLong(p, 8) : -1;
    }
    return Long.parseLong(p);
  }

  private static byte[] pack(long[] values) {
    int last = values.length - 1;
    long rest = values[last];
    if (rest >= 1L << (8 * (4 - last))) {
      return null;
    }
    long address = rest;
    for (int i = 0; i < last; i++) {
      if (values[i] > 255) {
        return null;
      }
      address |= values[i] << (8 * (3 - i));
    }
    return new byte[] {
      (byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address
    };
  }

  private static boolean isHex(int c) {
    return Character.digit(c, 16) >= 0 && c < 128;
  }
}
