package io.capsule.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostPatternTest {
  @ParameterizedTest
  @CsvSource({
    "example.com, example.com",
    "'  Example.COM. ', example.com",
    "https://user:pw@api.example.com:8443/v1?q=1, api.example.com",
    "*.cdn.example.com, *.cdn.example.com",
    "*, *",
    "10.0.0.5:80, 10.0.0.5",
    "[::1]:8080, ::1",
    "http://[fe80::1]/x, fe80::1",
    "::ffff:127.0.0.1, ::ffff:127.0.0.1",
    "'example.com :80', example.com",
  })
  void onlyTheHostOfAPatternIsKept(String pattern, String host) {
    assertThat(HostPattern.parse(pattern).host()).isEqualTo(host);
  }

  @Test
  void aBlankOrMissingPatternNamesNoHost() {
    assertThat(HostPattern.parse(null).isEmpty()).isTrue();
    assertThat(HostPattern.parse("  ").isEmpty()).isTrue();
    assertThat(HostPattern.parse("https://").isEmpty()).isTrue();
  }

  @Test
  void itsKindIsReadFromTheHost() {
    assertThat(HostPattern.parse("*").isAny()).isTrue();
    assertThat(HostPattern.parse("*.x.com").isSubdomains()).isTrue();
    assertThat(HostPattern.parse("x.com").isSubdomains()).isFalse();
    assertThat(HostPattern.parse("2130706433").isIpLiteral()).isTrue(); // decimal 127.0.0.1
    assertThat(HostPattern.parse("127.1").isIpLiteral()).isTrue();
    assertThat(HostPattern.parse("[::1]").isIpLiteral()).isTrue();
    assertThat(HostPattern.parse("1.example.com").isIpLiteral()).isFalse();
    assertThat(HostPattern.parse("").isIpLiteral()).isFalse();
  }
}
