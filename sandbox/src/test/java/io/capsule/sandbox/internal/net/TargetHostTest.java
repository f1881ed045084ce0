package io.capsule.sandbox.internal.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TargetHostTest {
  @ParameterizedTest
  @CsvSource({
    "127.0.0.1, 127.0.0.1",
    "2130706433, 127.0.0.1",
    "0x7f.1, 127.0.0.1",
    "0X7F.0.0.1, 127.0.0.1",
    "0x7f000001, 127.0.0.1",
    "0177.0.0.1, 127.0.0.1",
    "017700000001, 127.0.0.1",
    "127.1, 127.0.0.1",
    "127.0.1, 127.0.0.1",
    "127.0.0.1., 127.0.0.1",
    "0, 0.0.0.0",
    "169.254.43518, 169.254.169.254",
    "[::ffff:127.0.0.1], 127.0.0.1",
    "[::ffff:7f00:1], 127.0.0.1",
    "[0:0:0:0:0:ffff:a9fe:a9fe], 169.254.169.254",
    "[::1], 0:0:0:0:0:0:0:1",
    "[FD00:EC2::254], fd00:ec2:0:0:0:0:0:254",
    "Example.COM., example.com",
    "bücher.example, xn--bcher-kva.example"
  })
  void everySpellingHasOneCanonicalForm(String host, String canonical) {
    assertThat(TargetHost.parse(host).canonical()).isEqualTo(canonical);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"1.2.3.4.5", "256.1.1.1", "1.2.3.0x", "99999999999", "4294967296", "a.b.99", ""})
  void aHostThatEndsInANumberButIsNoAddressIsRefused(String host) {
    assertThatThrownBy(() -> TargetHost.parse(host))
        .isInstanceOfSatisfying(
            HttpFailure.class, f -> assertThat(f.error()).isEqualTo(NetworkError.INVALID_REQUEST));
  }

  @ParameterizedTest
  @ValueSource(strings = {"[fe80::1%eth0]", "[fe80::1%251]", "[::1", "[1::2::3]", "a..b"})
  void zoneIdsAndMalformedHostsAreRefused(String host) {
    assertThatThrownBy(() -> TargetHost.parse(host)).isInstanceOf(HttpFailure.class);
  }

  @ParameterizedTest
  @CsvSource({
    "127.0.0.1, loopback",
    "10.0.0.1, private",
    "172.16.0.1, private",
    "192.168.1.1, private",
    "100.100.0.1, carrier-grade NAT",
    "169.254.169.254, link-local",
    "0.0.0.0, unspecified",
    "0.1.2.3, unspecified",
    "255.255.255.255, reserved or broadcast",
    "240.0.0.1, reserved or broadcast",
    "224.0.0.1, multicast",
    "192.0.0.192, IETF",
    "198.18.0.1, benchmarking",
    "::, unspecified",
    "::1, loopback",
    "fe80::1, link-local",
    "fd00:ec2::254, unique-local",
    "fc00::1, unique-local",
    "ff02::1, multicast",
    "::ffff:10.0.0.1, private",
    "::10.0.0.1, private",
    "64:ff9b::a9fe:a9fe, link-local",
    "64:ff9b:1::1, local-use NAT64",
    "2002:7f00:1::, loopback",
    "2001:0:0:0:0:0:80ff:fefe, loopback",
    "fec0::1, private"
  })
  void internalAddressesAreNamedByKind(String ip, String kind) throws UnknownHostException {
    assertThat(InternalAddresses.kind(InetAddress.getByName(ip))).startsWith(kind);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"93.184.216.34", "100.128.0.1", "172.32.0.1", "2606:4700::1111", "192.0.2.1"})
  void publicAddressesAreNotInternal(String ip) throws UnknownHostException {
    assertThat(InternalAddresses.kind(InetAddress.getByName(ip))).isNull();
  }
}
