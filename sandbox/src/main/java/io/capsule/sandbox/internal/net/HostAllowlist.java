package io.capsule.sandbox.internal.net;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * capsule-run's {@code allowed_hosts} rules. Default deny; matching ignores case, ports and a
 * trailing dot.
 *
 * <ul>
 *   <li>{@code *} allows every host, IP literals included;
 *   <li>{@code example.com} allows that host and all its subdomains;
 *   <li>{@code *.example.com} allows the subdomains only, not {@code example.com} itself;
 *   <li>an IP literal ({@code 10.0.0.5}, {@code ::1}, {@code [::1]}) allows exactly that address,
 *       and an IP literal host is allowed only by such a rule (or {@code *}).
 * </ul>
 *
 * A rule may carry a scheme, port or path ({@code https://example.com:8443/x}); only the host is
 * kept.
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
      String host = hostOf(rule);
      any |= host.equals("*");
      if (!host.isEmpty()) {
        normalized.add(host);
      }
    }
    return new HostAllowlist(normalized, any);
  }

  /** Whether {@code host} (a URI host, brackets allowed for IPv6) may be called. */
  public boolean allows(String host) {
    if (host == null) {
      return false;
    }
    String h = normalize(host);
    if (h.isEmpty()) {
      return false;
    }
    if (any) {
      return true;
    }
    boolean literal = isIpLiteral(h);
    for (String rule : rules) {
      if (literal ? rule.equals(h) : matchesName(rule, h)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a rule names {@code host} exactly (not through {@code *}, a {@code *.} rule or as a
   * subdomain of a domain rule): the user trusted this very host.
   */
  public boolean namesExactly(String host) {
    return host != null && rules.contains(normalize(host));
  }

  private static boolean matchesName(String rule, String host) {
    if (rule.startsWith("*.")) {
      return host.endsWith(rule.substring(1));
    }
    if (isIpLiteral(rule)) {
      return false;
    }
    return host.equals(rule) || host.endsWith("." + rule);
  }

  /** The host part of a rule: scheme, userinfo, port and path dropped, normalized. */
  static String hostOf(String rule) {
    String r = rule == null ? "" : rule.strip();
    int scheme = r.indexOf("://");
    if (scheme >= 0) {
      r = r.substring(scheme + 3);
    }
    int slash = r.indexOf('/');
    if (slash >= 0) {
      r = r.substring(0, slash);
    }
    r = r.substring(r.lastIndexOf('@') + 1);
    return normalize(stripPort(r));
  }

  private static String stripPort(String r) {
    if (r.startsWith("[")) {
      int close = r.indexOf(']');
      return close < 0 ? r : r.substring(0, close + 1);
    }
    int colon = r.indexOf(':');
    boolean bareIpv6 = colon >= 0 && r.indexOf(':', colon + 1) >= 0;
    return colon < 0 || bareIpv6 ? r : r.substring(0, colon);
  }

  private static String normalize(String host) {
    String h = host.strip().toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
  }

  /** IPv4 dotted quad or anything with a colon (IPv6; ports are stripped before). */
  static boolean isIpLiteral(String host) {
    if (host.indexOf(':') >= 0) {
      return true;
    }
    String[] parts = host.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String part : parts) {
      if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)) {
        return false;
      }
      if (Integer.parseInt(part) > 255) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return any ? "[*]" : rules.toString();
  }
}
