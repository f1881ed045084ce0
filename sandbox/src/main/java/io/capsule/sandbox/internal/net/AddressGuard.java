package io.capsule.sandbox.internal.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Keeps wildcard allowlist rules away from internal addresses. An allowlist matches names; this
 * checks where a name leads before a connection is made:
 *
 * <ul>
 *   <li>link-local addresses ({@code 169.254.0.0/16}, {@code fe80::/10}: cloud metadata services)
 *       are reached only when {@code allowed_hosts} names the host exactly, never through {@code *}
 *       or a domain rule;
 *   <li>a DNS name matched only by a wildcard or domain rule must not resolve to a loopback,
 *       private, link-local or otherwise internal address (DNS rebinding; an {@code
 *       evil.example.com} pointing at {@code 127.0.0.1}); naming the host exactly allows it;
 *   <li>{@code localhost} and IP literals other than link-local ones are what they say and pass.
 * </ul>
 *
 * The name is resolved here with the JVM's resolver, whose cache the HTTP client then uses, so the
 * connection goes to the address that was checked (within the cache's lifetime). Through a proxy
 * the proxy resolves names, so only literals are checked.
 */
final class AddressGuard {
  /** Resolves host names; a seam so tests can point a name at any address. */
  @FunctionalInterface
  interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  private final HostAllowlist allowlist;
  private final Resolver resolver;
  private final boolean resolveNames;

  AddressGuard(HostAllowlist allowlist, Resolver resolver, boolean resolveNames) {
    this.allowlist = allowlist;
    this.resolver = resolver;
    this.resolveNames = resolveNames;
  }

  /**
   * Why {@code host} (already allowed by the allowlist) must not be called, or {@code null} when it
   * may.
   *
   * @throws HttpFailure with {@link NetworkError#DNS_FAILURE} when the name does not resolve
   */
  String refusal(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (allowlist.namesExactly(h)) {
      return null;
    }
    if (HostAllowlist.isIpLiteral(h)) {
      InetAddress address = literal(h);
      return address != null && isLinkLocal(address)
          ? "host '" + host + "' refused: link-local addresses must be named in allowed_hosts"
          : null;
    }
    if (!resolveNames || h.equals("localhost") || h.endsWith(".localhost")) {
      return null;
    }
    InetAddress[] addresses;
    try {
      addresses = resolver.resolve(h);
    } catch (UnknownHostException e) {
      throw new HttpFailure(NetworkError.DNS_FAILURE, "host name did not resolve");
    }
    for (InetAddress address : addresses) {
      if (isInternal(address)) {
        return "host '"
            + host
            + "' refused: it resolves to the internal address "
            + address.getHostAddress()
            + ", which only an exact allowed_hosts entry may reach";
      }
    }
    return null;
  }

  private static InetAddress literal(String h) {
    try {
      return InetAddress.getByName(h); // a literal: no lookup
    } catch (UnknownHostException e) {
      return null;
    }
  }

  static boolean isLinkLocal(InetAddress address) {
    InetAddress a = unmapped(address);
    return a.isLinkLocalAddress();
  }

  /** Loopback, private, link-local, unique-local, carrier-grade NAT, unspecified or multicast. */
  static boolean isInternal(InetAddress address) {
    InetAddress a = unmapped(address);
    if (a.isLoopbackAddress()
        || a.isLinkLocalAddress()
        || a.isSiteLocalAddress()
        || a.isAnyLocalAddress()
        || a.isMulticastAddress()) {
      return true;
    }
    byte[] b = a.getAddress();
    if (a instanceof Inet4Address) {
      int first = b[0] & 0xff;
      int second = b[1] & 0xff;
      return first == 0 || (first == 100 && second >= 64 && second < 128);
    }
    return (b[0] & 0xfe) == 0xfc; // fc00::/7 unique local
  }

  private static InetAddress unmapped(InetAddress address) {
    if (address instanceof Inet6Address) {
      byte[] b = address.getAddress();
      boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
      for (int i = 0; i < 10 && mapped; i++) {
        mapped = b[i] == 0;
      }
      if (mapped) {
        try {
          return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
        } catch (UnknownHostException e) {
          return address;
        }
      }
    }
    return address;
  }
}
