package io.capsule.protocol;

import java.util.Locale;
import java.util.Objects;

/**
 * One {@code allowed_hosts} pattern, capsule-run's: {@code *} (every host), {@code example.com} (it
 * and its subdomains), {@code *.example.com} (the subdomains only), an IP literal (that address
 * only). A pattern may carry a scheme, userinfo, port or path ({@code
 * https://user@example.com:8443/x}): only the host is kept, in lower case, without IPv6 brackets or
 * a final dot. The one reading of host patterns: the operator's ceiling ({@link
 * OperatorCeiling#narrow}) and the sandbox's allowlist both parse them here.
 *
 * @param host the host part, {@code ""} when the pattern names none
 */
public record HostPattern(String host) {
  /** Checks the host is there (possibly empty). */
  public HostPattern {
    Objects.requireNonNull(host, "host");
  }

  /**
   * Reads a pattern as written in {@code allowed_hosts}, a flag or a policy.
   *
   * @param pattern the pattern; {@code null} or blank names no host
   */
  public static HostPattern parse(String pattern) {
    String p = pattern == null ? "" : pattern.strip().toLowerCase(Locale.ROOT);
    int scheme = p.indexOf("://");
    p = scheme >= 0 ? p.substring(scheme + 3) : p;
    int slash = p.indexOf('/');
    p = slash >= 0 ? p.substring(0, slash) : p;
    p = stripPort(p.substring(p.lastIndexOf('@') + 1)).strip();
    if (p.startsWith("[") && p.endsWith("]")) {
      p = p.substring(1, p.length() - 1);
    }
    return new HostPattern(p.endsWith(".") ? p.substring(0, p.length() - 1) : p);
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

  /** Whether the pattern names no host (it allows nothing). */
  public boolean isEmpty() {
    return host.isEmpty();
  }

  /** Whether it is {@code *}, every host. */
  public boolean isAny() {
    return host.equals("*");
  }

  /** Whether it is {@code *.name}, the subdomains of a name only. */
  public boolean isSubdomains() {
    return host.startsWith("*.");
  }

  /**
   * Whether the host is spelled as an IP literal: an IPv6 address (it has a colon) or anything made
   * only of digits and dots (the IPv4 spellings, short and decimal forms included).
   */
  public boolean isIpLiteral() {
    return host.indexOf(':') >= 0
        || (!host.isEmpty() && host.chars().allMatch(c -> c == '.' || Character.isDigit(c)));
  }
}
