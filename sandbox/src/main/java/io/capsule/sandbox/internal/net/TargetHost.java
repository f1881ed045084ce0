package io.capsule.sandbox.internal.net;

import java.net.IDN;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * A URL's host in one canonical spelling, so that every rule and check sees the same thing whatever
 * way the guest wrote it. Lower case, IDN as ASCII ({@code xn--}), no trailing dot, no brackets;
 * IPv4 in any form the C library's {@code inet_aton} accepts ({@code 2130706433}, {@code 0x7f.1},
 * {@code 0177.0.0.1}, {@code 127.1}) becomes the dotted quad it means, and IPv6 its {@link
 * InetAddress} (IPv4-mapped forms become IPv4). A host whose last label is a number but that is not
 * such an address ({@code 1.2.3.4.5}, {@code 999.1}) is refused: a resolver might read it as one.
 *
 * @param canonical the canonical spelling (an IP literal's {@link InetAddress#getHostAddress()})
 * @param literal the address an IP literal names, {@code null} for a DNS name
 */
record TargetHost(String canonical, InetAddress literal) {
  private static final int MAX_NAME_CHARS = 253;

  /** Parses a URI host ({@code [v6]} brackets allowed). */
  static TargetHost parse(String host) {
    String h = host == null ? "" : host.strip().toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      return ipv6(h.substring(1, h.length() - 1));
    }
    if (h.indexOf(':') >= 0) {
      return ipv6(h);
    }
    h = ascii(h.endsWith(".") ? h.substring(0, h.length() - 1) : h);
    byte[] v4 = Ipv4Forms.parse(h);
    if (v4 != null) {
      return fromAddress(v4);
    }
    if (h.isEmpty() || h.length() > MAX_NAME_CHARS || h.contains("..") || h.startsWith(".")) {
      throw invalid("url has no valid host");
    }
    if (Ipv4Forms.looksNumeric(h)) {
      throw invalid("host '" + h + "' is neither a name nor an IPv4 address");
    }
    return new TargetHost(h, null);
  }

  /** Whether this is an IP literal rather than a DNS name. */
  boolean isLiteral() {
    return literal != null;
  }

  private static TargetHost ipv6(String text) {
    if (text.indexOf('%') >= 0 || text.indexOf(':') < 0) {
      throw invalid("IPv6 zone ids and malformed IPv6 hosts are not accepted");
    }
    try {
      InetAddress address = InetAddress.getByName(text); // has a colon: parsed, never looked up
      return new TargetHost(address.getHostAddress(), address);
    } catch (UnknownHostException e) {
      throw invalid("malformed IPv6 host");
    }
  }

  private static TargetHost fromAddress(byte[] v4) {
    try {
      InetAddress address = InetAddress.getByAddress(v4);
      return new TargetHost(address.getHostAddress(), address);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // four bytes are always an address
    }
  }

  private static String ascii(String name) {
    try {
      return IDN.toASCII(name, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      throw invalid("host is not a valid internationalized domain name");
    }
  }

  private static HttpFailure invalid(String message) {
    return new HttpFailure(NetworkError.INVALID_REQUEST, message);
  }

  @Override
  public String toString() {
    return canonical;
  }
}
