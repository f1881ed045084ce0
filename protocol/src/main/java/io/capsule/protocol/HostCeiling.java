package io.capsule.protocol;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which {@code allowed_hosts} patterns an operator's host ceiling covers. Patterns are {@link
 * HostPattern}s: {@code *} (every host), {@code example.com} (it and its subdomains), {@code
 * *.example.com} (the subdomains only), an IP literal (that address only). A declared pattern is
 * covered when every host it allows is allowed by one ceiling pattern; domain patterns never cover
 * IP literals.
 */
final class HostCeiling {
  private final List<String> ceiling;

  HostCeiling(List<String> ceiling) {
    this.ceiling =
        ceiling.stream()
            .map(HostPattern::parse)
            .filter(p -> !p.isEmpty())
            .map(HostPattern::host)
            .toList();
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
      String host = HostPattern.parse(pattern).host();
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
    if (inner.equals("*")
        || new HostPattern(outer).isIpLiteral()
        || new HostPattern(inner).isIpLiteral()) {
      return false;
    }
    String innerName = inner.startsWith("*.") ? inner.substring(2) : inner;
    if (outer.startsWith("*.")) {
      // *.x.com covers a.x.com and *.x.com (the same set) and *.a.x.com, not x.com
      return innerName.endsWith(outer.substring(1)) || inner.equals(outer);
    }
    return innerName.equals(outer) || innerName.endsWith("." + outer);
  }
}
