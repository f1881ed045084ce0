package io.capsule.sandbox.internal.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AddressGuardTest {
  private static final Map<String, String> DNS =
      Map.of(
          "rebind.example.test", "127.0.0.1",
          "metadata.example.test", "169.254.169.254",
          "intranet.example.test", "10.1.2.3",
          "cgnat.example.test", "100.64.0.9",
          "v6.example.test", "fd00::1",
          "mapped.example.test", "::ffff:10.0.0.1",
          "public.example.test", "93.184.216.34");

  private static AddressGuard guard(String... operatorHosts) {
    return new AddressGuard(List.of(operatorHosts), AddressGuardTest::resolve, true);
  }

  private static InetAddress[] resolve(String host) throws UnknownHostException {
    String ip = DNS.get(host);
    if (ip == null) {
      throw new UnknownHostException(host);
    }
    return new InetAddress[] {InetAddress.getByName(ip)};
  }

  private static List<InetAddress> admit(AddressGuard guard, String host) {
    return guard.admit(TargetHost.parse(host), false);
  }

  private static void assertDenied(AddressGuard guard, String host) {
    assertThatThrownBy(() -> admit(guard, host))
        .isInstanceOfSatisfying(
            HttpFailure.class, f -> assertThat(f.error()).isEqualTo(NetworkError.HOST_DENIED));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "rebind.example.test",
        "metadata.example.test",
        "intranet.example.test",
        "cgnat.example.test",
        "v6.example.test",
        "mapped.example.test"
      })
  void aNameThatResolvesInsideIsRefused(String host) {
    assertDenied(guard(), host);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "127.0.0.1",
        "[::1]",
        "10.0.0.5",
        "169.254.169.254",
        "[fe80::1]",
        "[::ffff:169.254.169.254]",
        "[fd00:ec2::254]",
        "localhost",
        "api.localhost",
        "metadata.google.internal",
        "metadata",
        "printer.local"
      })
  void internalLiteralsAndReservedNamesAreRefusedUnlessTheOperatorNamesThem(String host) {
    assertDenied(guard(), host);
    String bare = host.replace("[", "").replace("]", "");
    assertThat(refusal(guard("unrelated.test", bare), host)).isNull();
  }

  /** The error {@code host} fails with other than not resolving in the test's DNS, or null. */
  private static NetworkError refusal(AddressGuard guard, String host) {
    try {
      admit(guard, host);
      return null;
    } catch (HttpFailure failure) {
      return failure.error() == NetworkError.DNS_FAILURE ? null : failure.error();
    }
  }

  @Test
  void theOperatorNamesAHostOrAnAddressLiterally() {
    AddressGuard guard = guard("rebind.example.test", "10.1.2.3");

    assertThat(admit(guard, "REBIND.example.test.")).containsExactly(address("127.0.0.1"));
    assertThat(admit(guard, "intranet.example.test")).containsExactly(address("10.1.2.3"));
    assertThat(admit(guard, "0x0a.1.2.3")).containsExactly(address("10.1.2.3"));
    assertDenied(guard, "127.0.0.1");
    assertDenied(guard, "10.1.2.4");
  }

  @Test
  void aPublicNameIsResolvedOnceAndItsAddressesReturned() {
    assertThat(admit(guard(), "public.example.test")).containsExactly(address("93.184.216.34"));
  }

  @Test
  void anUnresolvableNameIsADnsFailure() {
    assertThatThrownBy(() -> admit(guard(), "nowhere.example.test"))
        .isInstanceOfSatisfying(
            HttpFailure.class, f -> assertThat(f.error()).isEqualTo(NetworkError.DNS_FAILURE));
  }

  @Test
  void throughAProxyNamesAreLeftToTheProxyButLiteralsAndReservedNamesAreStillChecked() {
    AddressGuard guard = guard();

    assertThat(guard.admit(TargetHost.parse("rebind.example.test"), true)).isEmpty();
    assertThatThrownBy(() -> guard.admit(TargetHost.parse("169.254.169.254"), true))
        .isInstanceOf(HttpFailure.class);
    assertThatThrownBy(() -> guard.admit(TargetHost.parse("localhost"), true))
        .isInstanceOf(HttpFailure.class);
  }

  @Test
  void aDisabledGuardResolvesButRefusesNothing() {
    AddressGuard open = new AddressGuard(List.of(), AddressGuardTest::resolve, false);

    assertThat(open.admit(TargetHost.parse("rebind.example.test"), false))
        .containsExactly(address("127.0.0.1"));
    assertThat(open.admit(TargetHost.parse("localhost"), true)).isEmpty();
  }

  private static InetAddress address(String ip) {
    try {
      return InetAddress.getByName(ip);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
