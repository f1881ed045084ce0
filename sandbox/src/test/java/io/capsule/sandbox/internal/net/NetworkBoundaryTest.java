package io.capsule.sandbox.internal.net;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.HostRequest;
import io.capsule.sandbox.HttpConfig;
import io.capsule.sandbox.testing.LocalHttpServer;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The network trust boundary against a real server on loopback: wildcards and a task's own rules
 * never reach internal hosts, only the operator's private hosts do; the connection goes to the
 * address that was checked; redirects are checked per hop and shed credentials across origins; the
 * record holds no query, fragment or userinfo.
 */
class NetworkBoundaryTest {
  private static LocalHttpServer server;
  private static LocalHttpServer other;
  private static HttpTransport closed;
  private static HttpTransport loopbackOpen;

  @BeforeAll
  static void start() {
    server = LocalHttpServer.start();
    other = LocalHttpServer.start();
    closed = HttpTransport.create(HttpConfig.defaults());
    loopbackOpen =
        HttpTransport.create(HttpConfig.builder().withPrivateHosts(List.of("127.0.0.1")).build());
  }

  @AfterAll
  static void stop() {
    server.close();
    other.close();
  }

  @BeforeEach
  void forget() {
    server.clear();
    other.clear();
  }

  private static HttpReply call(OutboundHttp http, String json) {
    return http.execute(json.getBytes(StandardCharsets.UTF_8));
  }

  private static HttpReply get(OutboundHttp http, String url) {
    return call(http, "{\"url\":\"" + url + "\"}");
  }

  private static JsonNode doc(HttpReply reply) {
    return CapsuleJson.readTree(new String(reply.document(), StandardCharsets.UTF_8));
  }

  private static String at(String host, String path) {
    return server.url(path).replace("127.0.0.1", host);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "127.0.0.1",
        "localhost",
        "LOCALHOST",
        "api.localhost",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[::127.0.0.1]",
        "[64:ff9b::7f00:1]",
        "[2002:7f00:1::]",
        "0.0.0.0",
        "[::]",
        "2130706433",
        "0x7f.1",
        "0x7f000001",
        "0177.0.0.1",
        "127.1",
        "127.0.0.1.",
        "localhost."
      })
  void starNeverReachesLoopbackInAnySpelling(String host) {
    OutboundHttp http = OutboundHttp.forAttempt(closed, List.of("*"), null);
    HttpReply reply = get(http, at(host, "/hello"));

    assertThat(reply.code()).as(doc(reply).toString()).isEqualTo(NetworkError.HOST_DENIED.code());
    assertThat(http.log().firstDenial()).isPresent();
    assertThat(server.received()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "169.254.169.254",
        "localhost",
        "127.0.0.1",
        "metadata.google.internal",
        "[fd00:ec2::254]"
      })
  void aTaskNamingAnInternalHostItselfIsDenied(String host) {
    OutboundHttp http = OutboundHttp.forAttempt(closed, List.of(host), null);

    assertThat(get(http, at(host, "/hello")).code()).isEqualTo(NetworkError.HOST_DENIED.code());
    assertThat(server.received()).isEmpty();
  }

  @Test
  void aHostTheOperatorNamesIsReachableWhenTheTaskAllowsIt() {
    HttpTransport operator =
        HttpTransport.create(HttpConfig.builder().withPrivateHosts(List.of("localhost")).build());

    HttpReply byName =
        get(
            OutboundHttp.forAttempt(operator, List.of("localhost"), null),
            at("localhost", "/hello"));
    HttpReply byStar =
        get(OutboundHttp.forAttempt(operator, List.of("*"), null), at("localhost", "/hello"));
    HttpReply otherSpelling =
        get(OutboundHttp.forAttempt(operator, List.of("*"), null), at("127.0.0.1", "/hello"));
    HttpReply notAllowedByTask =
        get(OutboundHttp.forAttempt(operator, List.of("example.com"), null), at("localhost", "/"));

    assertThat(doc(byName).get("body").asText()).isEqualTo(LocalHttpServer.HELLO);
    assertThat(doc(byStar).get("status").asInt()).isEqualTo(200);
    assertThat(otherSpelling.code()).isEqualTo(NetworkError.HOST_DENIED.code());
    assertThat(notAllowedByTask.code()).isEqualTo(NetworkError.HOST_DENIED.code());
    assertThat(server.received()).extracting(LocalHttpServer.Received::path).hasSize(2);
  }

  @Test
  void aNameIsResolvedOnceAndTheConnectionGoesToTheCheckedAddress() {
    AtomicInteger lookups = new AtomicInteger();
    AddressGuard.Resolver rebinding =
        name ->
            new InetAddress[] {
              InetAddress.getByName(lookups.incrementAndGet() == 1 ? "127.0.0.1" : "10.9.9.9")
            };
    OutboundHttp http = OutboundHttp.forAttempt(loopbackOpen, List.of("api.test"), null, rebinding);

    HttpReply reply = get(http, at("api.test", "/hello"));

    assertThat(doc(reply).get("body").asText()).isEqualTo(LocalHttpServer.HELLO);
    assertThat(lookups).hasValue(1);
    assertThat(server.received())
        .extracting(LocalHttpServer.Received::host)
        .containsExactly(URI.create(at("api.test", "/")).getAuthority());
  }

  @Test
  void aPublicFirstAnswerIsConnectedToNeverALaterLoopbackOne() {
    AtomicInteger lookups = new AtomicInteger();
    AddressGuard.Resolver rebinding =
        name ->
            new InetAddress[] {
              InetAddress.getByName(lookups.incrementAndGet() == 1 ? "192.0.2.1" : "127.0.0.1")
            };
    OutboundHttp http = OutboundHttp.forAttempt(closed, List.of("*"), null, rebinding);

    HttpReply reply =
        call(http, "{\"url\":\"" + at("rebind.test", "/hello") + "\",\"timeout_ms\":300}");

    assertThat(reply.code()).isNotZero();
    assertThat(lookups).hasValue(1);
    assertThat(server.received()).isEmpty();
  }

  @Test
  void anAnswerWithAnyInternalAddressIsRefused() {
    AddressGuard.Resolver mixed =
        name ->
            new InetAddress[] {
              InetAddress.getByName("93.184.216.34"), InetAddress.getByName("127.0.0.1")
            };
    OutboundHttp http = OutboundHttp.forAttempt(closed, List.of("*"), null, mixed);

    HttpReply reply = get(http, at("rebind.test", "/hello"));

    assertThat(reply.code()).isEqualTo(NetworkError.HOST_DENIED.code());
    assertThat(doc(reply).at("/error/message").asText()).contains("127.0.0.1").contains("loopback");
    assertThat(server.received()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost", "[::1]", "169.254.169.254", "metadata.google.internal"})
  void aRedirectFromAnAllowedHostToAnInternalOneIsRefused(String target) {
    HttpTransport operator =
        HttpTransport.create(HttpConfig.builder().withPrivateHosts(List.of("127.0.0.1")).build());
    OutboundHttp http = OutboundHttp.forAttempt(operator, List.of("*"), null);
    String to = at(target, "/hello").replace("[", "%5B").replace("]", "%5D");
    String bounce = server.url("/redirect?to=" + to);

    HttpReply reply = get(http, bounce);

    assertThat(reply.code()).isEqualTo(NetworkError.HOST_DENIED.code());
    assertThat(doc(reply).at("/error/message").asText()).startsWith("redirect: ");
    assertThat(server.received())
        .extracting(LocalHttpServer.Received::path)
        .containsExactly("/redirect");
  }

  @Test
  void aRedirectToAnotherPortDropsEveryCredentialHeaderButKeepsTheRest() {
    OutboundHttp http = OutboundHttp.forAttempt(loopbackOpen, List.of("127.0.0.1"), null);
    String bounce = server.url("/redirect?to=" + other.url("/hello"));

    HttpReply reply =
        call(
            http,
            "{\"url\":\""
                + bounce
                + "\",\"secret_headers\":[\"X-Custom\"],\"headers\":{"
                + "\"Authorization\":\"Bearer SECRET\",\"Cookie\":\"sid=SECRET\","
                + "\"Proxy-Authorization\":\"Basic SECRET\",\"X-Api-Key\":\"SECRET\","
                + "\"X-Auth-User\":\"SECRET\",\"X-Github-Token\":\"SECRET\","
                + "\"X-Custom\":\"SECRET\",\"X-Trace\":\"kept\"}}");

    assertThat(doc(reply).get("body").asText()).isEqualTo(LocalHttpServer.HELLO);
    assertThat(server.received()).hasSize(1);
    assertThat(server.received().get(0).has("authorization")).isTrue();
    assertThat(server.received().get(0).has("x-custom")).isTrue();
    LocalHttpServer.Received second = other.received().get(0);
    assertThat(second.headers().toString()).doesNotContain("SECRET");
    assertThat(second.headers().get("x-trace")).containsExactly("kept");
  }

  @Test
  void aRedirectWithinTheSameOriginKeepsTheCredentials() {
    OutboundHttp http = OutboundHttp.forAttempt(loopbackOpen, List.of("127.0.0.1"), null);

    call(
        http,
        "{\"url\":\""
            + server.url("/redirect?to=/hello")
            + "\",\"headers\":{\"Authorization\":\"Bearer kept\"}}");

    assertThat(server.received())
        .extracting(LocalHttpServer.Received::authorization)
        .containsExactly("Bearer kept", "Bearer kept");
  }

  @ParameterizedTest
  @CsvSource({
    "http://a.test/x, http://a.test:80/y, true",
    "http://A.test/x, http://a.test/y, true",
    "http://a.test/x, https://a.test/x, false",
    "https://a.test/x, http://a.test:443/x, false",
    "http://a.test/x, http://a.test:8080/x, false",
    "http://a.test/x, http://b.a.test/x, false"
  })
  void anOriginIsSchemeHostAndPort(String from, String to, boolean same) {
    assertThat(OutboundHttp.sameOrigin(URI.create(from), URI.create(to))).isEqualTo(same);
  }

  @Test
  void theRecordAndTheMessagesHoldNoQueryFragmentOrUserinfo() {
    OutboundHttp http = OutboundHttp.forAttempt(loopbackOpen, List.of("127.0.0.1"), null);

    HttpReply keyed = get(http, server.url("/hello?api_key=SECRET#SECRET"));
    HttpReply userinfo = get(http, server.url("/hello").replace("://", "://user:SECRET@"));
    HttpReply badScheme = get(http, "ftp://127.0.0.1/x?token=SECRET");
    HttpReply badUrl = get(http, "http://127.0.0.1/a b?token=SECRET");

    assertThat(keyed.code()).isZero();
    assertThat(server.received()).hasSize(1);
    assertThat(http.log().requests())
        .containsExactly(
            new HostRequest("GET", server.url("/hello"), 200),
            new HostRequest("GET", server.url("/hello"), 0),
            new HostRequest("GET", "ftp://127.0.0.1/x", 0),
            new HostRequest("GET", "http://127.0.0.1/a b", 0));
    assertThat(CapsuleJson.write(http.log().requests())).doesNotContain("SECRET");
    for (HttpReply failed : List.of(userinfo, badScheme, badUrl)) {
      assertThat(failed.code()).isEqualTo(NetworkError.INVALID_REQUEST.code());
      assertThat(doc(failed).toString()).doesNotContain("SECRET");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"v\\r\\nX-Injected: 1", "v\\nX-Injected: 1", "v\\u0000"})
  void aHeaderValueWithAControlCharacterIsRefusedBeforeSending(String value) {
    OutboundHttp http = OutboundHttp.forAttempt(loopbackOpen, List.of("127.0.0.1"), null);

    HttpReply reply =
        call(
            http,
            "{\"url\":\"" + server.url("/hello") + "\",\"headers\":{\"X-A\":\"" + value + "\"}}");

    assertThat(reply.code()).isEqualTo(NetworkError.INVALID_REQUEST.code());
    assertThat(server.received()).isEmpty();
  }

  @Test
  void aMethodThatIsNotATokenIsRefused() {
    OutboundHttp http = OutboundHttp.forAttempt(loopbackOpen, List.of("127.0.0.1"), null);

    HttpReply reply =
        call(http, "{\"method\":\"GET /x HTTP/1.1\\r\\nA:\",\"url\":\"" + server.url("/") + "\"}");

    assertThat(reply.code()).isEqualTo(NetworkError.INVALID_REQUEST.code());
    assertThat(server.received()).isEmpty();
  }

  @Test
  void aBadPrivateHostFailsWhenTheTransportIsCreated() {
    HttpConfig config = HttpConfig.builder().withPrivateHosts(List.of("1.2.3.4.5")).build();

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> HttpTransport.create(config))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1.2.3.4.5");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> HttpConfig.builder().withPrivateHosts(List.of("*.internal")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
