package io.capsule.sandbox.internal.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Which addresses are internal: never reached through a wildcard or a task's own rule. IPv6 forms
 * that carry an IPv4 address (IPv4-mapped {@code ::ffff:0:0/96}, IPv4-compatible {@code ::/96},
 * NAT64 {@code 64:ff9b::/96}, 6to4 {@code 2002::/16}, Teredo {@code 2001::/32}) are judged by the
 * IPv4 address inside; local-use NAT64 ({@code 64:ff9b:1::/48}) is internal as a whole.
 */
final class InternalAddresses {
  private InternalAddresses() {}

  /** What kind of internal address this is, or {@code null} for a public one. */
  static String kind(InetAddress address) {
    InetAddress a = embeddedIpv4(address);
    if (a.isAnyLocalAddress()) {
      return "unspecified";
    }
    if (a.isLoopbackAddress()) {
      return "loopback";
    }
    if (a.isLinkLocalAddress()) {
      return "link-local, where cloud metadata services answer";
    }
    if (a.isSiteLocalAddress()) {
      return "private";
    }
    if (a.isMulticastAddress()) {
      return "multicast";
    }
    return a instanceof Inet4Address ? ipv4Kind(a.getAddress()) : ipv6Kind(a.getAddress());
  }

  private static String ipv4Kind(byte[] b) {
    int first = b[0] & 0xff;
    int second = b[1] & 0xff;
    if (first == 0) {
      return "unspecified";
    }
    if (first == 100 && second >= 64 && second < 128) {
      return "carrier-grade NAT";
    }
    if (first == 192 && second == 0 && b[2] == 0) {
      return "IETF protocol assignments";
    }
    if (first == 198 && (second == 18 || second == 19)) {
      return "benchmarking";
    }
    return first >= 240 ? "reserved or broadcast" : null;
  }

  private static String ipv6Kind(byte[] b) {
    if ((b[0] & 0xfe) == 0xfc) {
      return "unique-local, where fd00:ec2::254 answers";
    }
    if ((b[0] & 0xff) == 0xfe && (b[1] & 0xc0) == 0xc0) {
      return "site-local";
    }
    boolean nat64 = b[0] == 0 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b;
    return nat64 && b[4] == 0 && b[5] == 1 ? "local-use NAT64" : null;
  }

  /** The IPv4 address an IPv6 address carries, or the address itself. */
  static InetAddress embeddedIpv4(InetAddress address) {
    if (!(address instanceof Inet6Address)) {
      return address;
    }
    byte[] b = address.getAddress();
    if (isMappedOrCompatible(b) || isNat64(b)) {
      return ipv4(b, 12);
    }
    if ((b[0] & 0xff) == 0x20 && b[1] == 0x02) {
      return ipv4(b, 2); // 6to4
    }
    if ((b[0] & 0xff) == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) {
      byte[] client = {(byte) ~b[12], (byte) ~b[13], (byte) ~b[14], (byte) ~b[15]};
      return ipv4(client, 0); // Teredo: the client's address, inverted
    }
    return address;
  }

  private static boolean isMappedOrCompatible(byte[] b) {
    for (int i = 0; i < 10; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
    boolean compatible = b[10] == 0 && b[11] == 0;
    // :: and ::1 stay IPv6 (unspecified, loopback) and are judged as such.
    boolean unspecifiedOrLoopback = (b[12] | b[13] | b[14]) == 0 && (b[15] == 0 || b[15] == 1);
    return mapped || compatible && !unspecifiedOrLoopback;
  }

  private static boolean isNat64(byte[] b) {
    boolean prefix = b[0] == 0 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b;
    if (!prefix) {
      return false;
    }
    for (int i = 4; i < 12; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static InetAddress ipv4(byte[] b, int from) {
    try {
      return InetAddress.getByAddress(new byte[] {b[from], b[from + 1], b[from + 2], b[from + 3]});
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // four bytes are always an address
    }
  }
}
