package io.capsule.sandbox.internal.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostAllowlistTest {
  private static boolean allows(String rule, String host) {
    return HostAllowlist.of(List.of(rule)).allows(host);
  }

  @Test
  void noRulesDenyEverything() {
    assertThat(HostAllowlist.of(null).allows("example.com")).isFalse();
    assertThat(HostAllowlist.of(List.of()).allows("127.0.0.1")).isFalse();
  }

  @ParameterizedTest
  @CsvSource({"example.com", "a.b.example.com", "127.0.0.1", "[::1]", "localhost"})
  void starAllowsEveryHostIncludingIpLiterals(String host) {
    assertThat(allows("*", host)).isTrue();
  }

  @ParameterizedTest
  @CsvSource({
    "example.com, example.com, true",
    "example.com, api.example.com, true",
    "example.com, a.b.example.com, true",
    "example.com, badexample.com, false",
    "example.com, example.com.evil.net, false",
    "example.com, example.org, false",
    "example.com, com, false"
  })
  void aDomainAllowsItselfAndItsSubdomains(String rule, String host, boolean allowed) {
    assertThat(allows(rule, host)).isEqualTo(allowed);
  }

  @ParameterizedTest
  @CsvSource({
    "*.example.com, api.example.com, true",
    "*.example.com, a.b.example.com, true",
    "*.example.com, example.com, false",
    "*.example.com, badexample.com, false"
  })
  void aWildcardAllowsSubdomainsOnly(String rule, String host, boolean allowed) {
    assertThat(allows(rule, host)).isEqualTo(allowed);
  }

  @ParameterizedTest
  @CsvSource({
    "Example.COM, api.EXAMPLE.com",
    "*.EXAMPLE.com, API.example.COM",
    "example.com., example.com",
    "example.com, example.com."
  })
  void matchingIgnoresCaseAndATrailingDot(String rule, String host) {
    assertThat(allows(rule, host)).isTrue();
  }

  @ParameterizedTest
  @CsvSource({
    "example.com:8443, example.com",
    "https://example.com:8443/path, api.example.com",
    "127.0.0.1:8080, 127.0.0.1",
    "[::1]:8080, [::1]",
    "[::1], ::1"
  })
  void portsSchemesAndPathsInRulesAreIgnored(String rule, String host) {
    assertThat(allows(rule, host)).isTrue();
  }

  @ParameterizedTest
  @CsvSource({
    "127.0.0.1, 127.0.0.1, true",
    "127.0.0.1, 127.0.0.2, false",
    "0.0.1, 127.0.0.1, false",
    "0.0.1, x.0.0.1, false",
    "127.0.0.1, 2130706433, true",
    "127.0.0.1, 0x7f.1, true",
    "[::ffff:127.0.0.1], 127.0.0.1, true",
    "*.0.0.1, 127.0.0.1, false",
    "::1, [::1], true",
    "::1, ::2, false",
    "localhost, 127.0.0.1, false",
    "1.2.3.4, a.1.2.3.4, false"
  })
  void ipLiteralsMatchOnlyLiterally(String rule, String host, boolean allowed) {
    assertThat(allows(rule, host)).isEqualTo(allowed);
  }

  @Test
  void anyOfSeveralRulesAllows() {
    HostAllowlist allowlist = HostAllowlist.of(List.of("a.test", "*.b.test", "10.0.0.1"));

    assertThat(allowlist.allows("x.a.test")).isTrue();
    assertThat(allowlist.allows("x.b.test")).isTrue();
    assertThat(allowlist.allows("10.0.0.1")).isTrue();
    assertThat(allowlist.allows("b.test")).isFalse();
    assertThat(allowlist.allows(null)).isFalse();
    assertThat(allowlist.allows("")).isFalse();
  }
}
