package io.capsule.protocol;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which {@code allowed_hosts} patterns an operator's host ceiling covers. Patterns are
 * capsule-run's: {@code *} (every host), {@code example.com} (it and its subdomains), {@code
 * *.example.com} (the subdomains only), an IP literal (that address only). A declared pattern is
 * covered when every host it allows is allowed by one ceiling pattern; domain patterns never cover
 * IP literals.
 */
final class HostCeiling {
  private final List<String> ceiling;

  HostCeiling(List<String> ceiling) {
    this.ceiling = ceiling.stream().map(HostCeiling::hostOf).filter(h -> !h.isEmpty()).toList();
  }

  /**
   * The declared patterns narrowed to this ceiling: a covered pattern stays; one that is not is
   * replaced by the ceiling patterns it covers ({@code clamp}) or refused.
   *
   * @throws PermissionDeniedException when {@code clamp} is false and a pattern is not covered
   */
  List<String> narrow(List<String> declared, boolean clamp) {
    Set<String> kept = new LinkedHashSet<>();
    for (String pattern : declared) {
      String host = hostOf(pattern);
      if (host.isEmpty()) {
        continue;
      }
      if (ceiling.stream().anyMatch(c -> covers(c, host))) {
        kept.add(host);
      } else if (clamp) {
        ceiling.stream().filter(c -> covers(host, c)).forEach(kept::add);
      } else {
        throw new PermissionDeniedException(
            "allowed_hosts '"
                + pattern
                + "' is not within the operator's allowed_hosts "
                + ceiling
                + " (over_ceiling: reject)");
      }
    }
    return new ArrayList<>(kept);
  }

  /** Whether every host that {@code inner} allows is allowed by {@code outer}. */
  static boolean covers(String outer, String inner) {
    if (outer.equals("*") || outer.equals(inner)) {
      return true;
    }
    if (inner.equals("*") || isIpLiteral(outer) || isIpLiteral(inner)) {
      return false;
    }
    String innerName = inner.startsWith("*.") ? inner.substring(2) : inner;
    if (outer.startsWith("*.")) {
      // *.x.com covers a.x.com and *.x.com (the same set) and *.a.x.com, not x.com
      return innerName.endsWith(outer.substring(1)) || inner.equals(outer);
    }
    return innerName.equals(outer) || innerName.endsWith("." + outer);
  }

  /** The host of a pattern: scheme, userinfo, port and path dropped, lower case, no final dot. */
  static String hostOf(String pattern) {
    String p = pattern == null ? "" : pattern.strip().toLowerCase(Locale.ROOT);
    int scheme = p.indexOf("://");
    p = scheme >= 0 ? p.substring(scheme + 3) : p;
    int slash = p.indexOf('/');
    p = slash >= 0 ? p.substring(0, slash) : p;
    p = p.substring(p.lastIndexOf('@') + 1);
    p = stripPort(p);
    if (p.startsWith("[") && p.endsWith("]")) {
      p = p.substring(1, p.length() - 1);
    }
    return p.endsWith(".") ? p.substring(0, p.length() - 1) : p;
  }

  private static String stripPort(String p) {
    if (p.startsWith("[")) {
      int close = p.indexOf(']');
      return close < 0 ? p : p.substring(0, close + 1);
    }
    int colon = p.indexOf(':');
    boolean bareIpv6 = colon >= 0 && p.indexOf(':', colon + 1) >= 0;
    return colon < 0 || bareIpv6 ? p : p.substring(0, colon);
  }

  /** An IPv6 address (has a colon) or anything made only of digits and dots (IPv4 spellings). */
  static boolean isIpLiteral(String host) {
    return host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || Character.isDigit(c));
  }
}
