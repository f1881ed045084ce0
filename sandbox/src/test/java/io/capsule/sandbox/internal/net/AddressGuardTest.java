package io.capsule.sandbox.internal.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AddressGuardTest {
  private static final Map<String, String> DNS =
      Map.of(
          "rebind.example.test", "127.0.0.1",
          "metadata.example.test", "169.254.169.254",
          "intranet.example.test", "10.1.2.3",
          "cgnat.example.test", "100.64.0.9",
          "v6.example.test", "fd00::1",
          "public.example.test", "93.184.216.34");

  private static AddressGuard guard(String... rules) {
    return new AddressGuard(HostAllowlist.of(List.of(rules)), AddressGuardTest::resolve, true);
  }

  private static InetAddress[] resolve(String host) throws UnknownHostException {
    String ip = DNS.get(host);
    if (ip == null) {
      throw new UnknownHostException(host);
    }
    return new InetAddress[] {InetAddress.getByName(ip)};
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "rebind.example.test",
        "metadata.example.test",
        "intranet.example.test",
        "cgnat.example.test",
        "v6.example.test"
      })
  void aNameMatchedByAWildcardOrDomainRuleMustNotLeadInside(String host) {
    assertThat(guard("*").refusal(host)).contains("internal address");
    assertThat(guard("example.test").refusal(host)).contains("internal address");
    assertThat(guard("*.example.test").refusal(host)).contains("internal address");
  }

  @ParameterizedTest
  @ValueSource(strings = {"rebind.example.test", "intranet.example.test", "metadata.example.test"})
  void anExactEntryTrustsThatHost(String host) {
    assertThat(guard(host).refusal(host)).isNull();
    assertThat(guard("https://" + host + ":8443/path").refusal(host.toUpperCase())).isNull();
  }

  @ParameterizedTest
  @CsvSource({
    "*, public.example.test",
    "*, 127.0.0.1",
    "*, localhost",
    "*, [::1]",
    "*, 10.0.0.5",
    "*, api.localhost",
  })
  void publicNamesLoopbackAndPrivateLiteralsAndLocalhostPass(String rule, String host) {
    assertThat(guard(rule).refusal(host)).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"169.254.169.254", "[fe80::1]", "[::ffff:169.254.169.254]"})
  void linkLocalLiteralsNeedAnExactEntry(String host) {
    assertThat(guard("*").refusal(host)).contains("link-local");
    String bare = host.replace("[", "").replace("]", "");
    assertThat(guard(bare).refusal(host)).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "100.100.0.1"})
  void internalV4Ranges(String ip) throws UnknownHostException {
    assertThat(AddressGuard.isInternal(InetAddress.getByName(ip))).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"93.184.216.34", "100.128.0.1", "2606:4700::1111", "172.32.0.1"})
  void publicAddresses(String ip) throws UnknownHostException {
    assertThat(AddressGuard.isInternal(InetAddress.getByName(ip))).isFalse();
  }

  @org.junit.jupiter.api.Test
  void anUnresolvableNameIsADnsFailure() {
    assertThatThrownBy(() -> guard("*").refusal("nowhere.example.test"))
        .isInstanceOfSatisfying(
            HttpFailure.class, f -> assertThat(f.error()).isEqualTo(NetworkError.DNS_FAILURE));
  }

  @org.junit.jupiter.api.Test
  void throughAProxyNamesAreLeftToTheProxyButLiteralsAreStillChecked() {
    AddressGuard proxied =
        new AddressGuard(HostAllowlist.of(List.of("*")), AddressGuardTest::resolve, false);

    assertThat(proxied.refusal("rebind.example.test")).isNull();
    assertThat(proxied.refusal("169.254.169.254")).contains("link-local");
  }
}
