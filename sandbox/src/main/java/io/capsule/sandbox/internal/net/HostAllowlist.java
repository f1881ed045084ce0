package io.capsule.sandbox.internal.net;

import io.capsule.protocol.HostPattern;
import java.util.ArrayList;
import java.util.List;

/**
 * capsule-run's {@code allowed_hosts} rules, a task's own choice of hosts. Default deny; matching
 * ignores case, ports and a trailing dot, and compares hosts in {@link TargetHost}'s canonical
 * spelling. Passing this list is necessary, not sufficient: {@link AddressGuard} then keeps every
 * rule, however exact, away from internal addresses the operator did not open.
 *
 * <ul>
 *   <li>{@code *} allows every host, IP literals included (internal ones still need the operator);
 *   <li>{@code example.com} allows that host and all its subdomains;
 *   <li>{@code *.example.com} allows the subdomains only, not {@code example.com} itself;
 *   <li>an IP literal ({@code 10.0.0.5}, {@code ::1}, {@code [::1]}) allows exactly that address,
 *       and an IP literal host is allowed only by such a rule (or {@code *}).
 * </ul>
 *
 * A rule may carry a scheme, port or path ({@code https://example.com:8443/x}); only the host is
 * kept ({@link HostPattern}, the reading the operator's ceiling uses too).
 */
public final class HostAllowlist {
  private static final HostAllowlist DENY_ALL = new HostAllowlist(List.of(), false);

  private final List<String> rules;
  private final boolean any;

  private HostAllowlist(List<String> rules, boolean any) {
    this.rules = List.copyOf(rules);
    this.any = any;
  }

  /** The allowlist of these rules; {@code null} or empty denies everything. */
  public static HostAllowlist of(List<String> rules) {
    if (rules == null || rules.isEmpty()) {
      return DENY_ALL;
    }
    List<String> normalized = new ArrayList<>();
    boolean any = false;
    for (String rule : rules) {
      String host = canonical(HostPattern.parse(rule).host());
      any |= host.equals("*");
      if (!host.isEmpty()) {
        normalized.add(host);
      }
    }
    return new HostAllowlist(normalized, any);
  }

  /** Whether {@code host} (a URI host, brackets allowed for IPv6) may be called. */
  public boolean allows(String host) {
    try {
      return host != null && matches(TargetHost.parse(host));
    } catch (HttpFailure invalid) {
      return false;
    }
  }

  /** Whether {@code host} may be called: {@code *}, an equal literal, or a matching name rule. */
  boolean matches(TargetHost host) {
    if (any) {
      return true;
    }
    for (String rule : rules) {
      if (host.isLiteral() ? rule.equals(host.canonical()) : matchesName(rule, host.canonical())) {
        return true;
      }
    }
    return false;
  }

  private static boolean matchesName(String rule, String host) {
    if (rule.startsWith("*.")) {
      return host.endsWith(rule.substring(1));
    }
    if (rule.indexOf(':') >= 0 || Ipv4Forms.parse(rule) != null) {
      return false; // an IP literal rule allows only that address
    }
    return host.equals(rule) || host.endsWith("." + rule);
  }

  /** A rule's host in {@link TargetHost}'s spelling ({@code *.} kept in front of a name). */
  private static String canonical(String host) {
    if (host.isEmpty() || host.equals("*")) {
      return host;
    }
    if (host.startsWith("*.")) {
      return "*." + canonical(host.substring(2));
    }
    try {
      return TargetHost.parse(host).canonical();
    } catch (HttpFailure invalid) {
      return host;
    }
  }

  @Override
  public String toString() {
    return any ? "[*]" : rules.toString();
  }
}
