package io.capsule.sandbox.internal.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides where a connection may go once the allowlist has let a host through, and resolves the
 * name exactly once: the addresses it returns are the ones checked and the only ones the transport
 * connects to (no second lookup, so no DNS-rebinding window between check and connect).
 *
 * <p>A host is <em>internal</em> when it is, or resolves to, a loopback, private, link-local,
 * unique-local, unspecified, multicast, broadcast or otherwise reserved address ({@link
 * InternalAddresses}), in any spelling ({@link TargetHost}), or has a name reserved for such hosts
 * ({@code localhost}, {@code *.localhost}, {@code *.internal} such as {@code
 * metadata.google.internal}, {@code *.local}, {@code metadata}, {@code instance-data}). An internal
 * host is reached only when the operator named it ({@code HttpConfig.privateHosts}): by its name,
 * or by an IP literal equal to the address. A task's own {@code allowed_hosts} never opens one, not
 * even by naming it exactly.
 *
 * <p>Through an HTTP proxy the proxy resolves names; then only literals and reserved names are
 * checked here, and what the proxy reaches is the operator's configuration.
 */
final class AddressGuard {
  /** Resolves host names; a seam so tests can point a name at any address. */
  @FunctionalInterface
  interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  private static final Set<String> RESERVED_NAMES =
      Set.of(
          "localhost",
          "localhost.localdomain",
          "ip6-localhost",
          "ip6-loopback",
          "metadata",
          "metadata.goog",
          "instance-data");
  private static final List<String> RESERVED_SUFFIXES =
      List.of(".localhost", ".internal", ".local", ".home.arpa");

  private final Set<String> operatorNames = new HashSet<>();
  private final Set<InetAddress> operatorAddresses = new HashSet<>();
  private final Resolver resolver;
  private final boolean enabled;

  /**
   * @param operatorHosts the hosts the operator opened (names or IP literals, named literally)
   * @param resolver the one lookup of each request
   * @param enabled {@code false} to resolve without refusing anything (the operator trusts the
   *     whole network)
   */
  AddressGuard(Collection<String> operatorHosts, Resolver resolver, boolean enabled) {
    for (String entry : operatorHosts) {
      TargetHost host = TargetHost.parse(entry);
      operatorNames.add(host.canonical());
      if (host.isLiteral()) {
        operatorAddresses.add(host.literal());
      }
    }
    this.resolver = resolver;
    this.enabled = enabled;
  }

  /**
   * The addresses to connect to for {@code host}: its literal, or every address its name resolved
   * to, each checked; empty when {@code viaProxy} (the proxy resolves the name).
   *
   * @throws HttpFailure {@link NetworkError#HOST_DENIED} when the host is internal and the operator
   *     did not name it, {@link NetworkError#DNS_FAILURE} when the name does not resolve
   */
  List<InetAddress> admit(TargetHost host, boolean viaProxy) {
    boolean operatorNamed = operatorNames.contains(host.canonical());
    if (host.isLiteral()) {
      check(host, host.literal(), operatorNamed);
      return viaProxy ? List.of() : List.of(host.literal());
    }
    if (enabled && !operatorNamed && isReservedName(host.canonical())) {
      throw refused(host, "its name is reserved for local or metadata hosts");
    }
    if (viaProxy) {
      return List.of();
    }
    List<InetAddress> addresses = resolve(host.canonical());
    addresses.forEach(address -> check(host, address, operatorNamed));
    return addresses;
  }

  private void check(TargetHost host, InetAddress address, boolean operatorNamed) {
    String kind = InternalAddresses.kind(address);
    if (enabled && kind != null && !operatorNamed && !operatorAddresses.contains(address)) {
      throw refused(host, "it leads to " + address.getHostAddress() + " (" + kind + ")");
    }
  }

  private List<InetAddress> resolve(String name) {
    try {
      InetAddress[] found = resolver.resolve(name);
      if (found == null || found.length == 0) {
        throw new UnknownHostException(name);
      }
      return List.of(found);
    } catch (UnknownHostException e) {
      throw new HttpFailure(NetworkError.DNS_FAILURE, "host name did not resolve");
    }
  }

  static boolean isReservedName(String name) {
    return RESERVED_NAMES.contains(name) || RESERVED_SUFFIXES.stream().anyMatch(name::endsWith);
  }

  private static HttpFailure refused(TargetHost host, String why) {
    return new HttpFailure(
        NetworkError.HOST_DENIED,
        "host '"
            + host
            + "' refused: "
            + why
            + "; internal hosts are reached only when the operator names them (private hosts),"
            + " never through allowed_hosts");
  }
}
