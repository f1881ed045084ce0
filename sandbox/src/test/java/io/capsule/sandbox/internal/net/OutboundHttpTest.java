package io.capsule.sandbox.internal.net;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.HostRequest;
import io.capsule.sandbox.HttpConfig;
import io.capsule.sandbox.testing.LocalHttpServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OutboundHttpTest {
  private static LocalHttpServer server;
  private static HttpTransport direct;
  private static HttpTransport proxied;

  @BeforeAll
  static void start() {
    server = LocalHttpServer.start();
    direct =
        HttpTransport.create(
            HttpConfig.builder()
                .withMaxResponseBytes(1024)
                .withPrivateHosts(List.of("127.0.0.1"))
                .build());
    proxied = HttpTransport.create(HttpConfig.builder().withProxy(server.asProxy()).build());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @BeforeEach
  void forget() {
    server.clear();
  }

  private static OutboundHttp http(HttpTransport transport, String... hosts) {
    return OutboundHttp.forAttempt(transport, List.of(hosts), null);
  }

  private static JsonNode doc(HttpReply reply) {
    return CapsuleJson.readTree(new String(reply.document(), StandardCharsets.UTF_8));
  }

  private static byte[] request(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void postSendsHeadersAndBodyButRecordsOnlyMethodUrlAndStatus() {
    OutboundHttp http = http(direct, "127.0.0.1");
    String url = server.url("/echo");
    HttpReply reply =
        http.execute(
            request(
                "{\"method\":\"post\",\"url\":\""
                    + url
                    + "\",\"headers\":{\"Authorization\":\"Bearer hunter2\",\"Host\":\"x\"},"
                    + "\"body\":\"payload-42\"}"));

    assertThat(reply.code()).isZero();
    assertThat(doc(reply).get("body").asText()).isEqualTo("payload-42");
    assertThat(server.received().get(0).authorization()).isEqualTo("Bearer hunter2");
    assertThat(http.log().requests()).containsExactly(new HostRequest("POST", url, 200));
    assertThat(CapsuleJson.write(http.log().requests()))
        .doesNotContain("hunter2")
        .doesNotContain("payload-42");
  }

  @Test
  void aBodyThatIsNotUtf8ComesBackAsBase64() {
    HttpReply reply = http(direct, "127.0.0.1").execute(request(get(server.url("/binary"))));

    assertThat(doc(reply).has("body")).isFalse();
    assertThat(doc(reply).get("body_base64").asText()).isEqualTo("//4AAQ==");
  }

  @Test
  void aResponseOverTheCapIsRefused() {
    HttpReply reply = http(direct, "127.0.0.1").execute(request(get(server.url("/big"))));

    assertThat(reply.code()).isEqualTo(NetworkError.RESPONSE_TOO_LARGE.code());
    assertThat(doc(reply).at("/error/type").asText()).isEqualTo("response_too_large");
  }

  @Test
  void theGuestsOwnTimeoutIsANetworkErrorNotATaskTimeout() {
    OutboundHttp http = http(direct, "127.0.0.1");
    HttpReply reply =
        http.execute(request("{\"url\":\"" + server.url("/hang") + "\",\"timeout_ms\":200}"));

    assertThat(reply.code()).isEqualTo(NetworkError.TIMEOUT.code());
    assertThat(http.log().requests()).extracting(HostRequest::status).containsExactly(0);
  }

  @Test
  void requestsPerAttemptAreCapped() {
    OutboundHttp http =
        OutboundHttp.forAttempt(
            HttpTransport.create(HttpConfig.builder().withMaxRequests(2).build()),
            List.of("nothing.test"),
            Duration.ofSeconds(5));
    byte[] denied = request(get("http://elsewhere.test/"));

    assertThat(http.execute(denied).code()).isEqualTo(NetworkError.HOST_DENIED.code());
    assertThat(http.execute(denied).code()).isEqualTo(NetworkError.HOST_DENIED.code());
    assertThat(http.execute(denied).code()).isEqualTo(NetworkError.LIMIT_EXCEEDED.code());
    assertThat(http.log().requests()).hasSize(2);
  }

  @Test
  void malformedRequestsAreInvalid() {
    OutboundHttp http = http(direct, "*");

    assertThat(http.execute(request("not json")).code()).isEqualTo(-1);
    assertThat(http.execute(request("{\"url\":\"ftp://127.0.0.1/x\"}")).code()).isEqualTo(-1);
    assertThat(http.execute(request("{\"url\":\"http://u:p@127.0.0.1/x\"}")).code()).isEqualTo(-1);
    assertThat(http.execute(request("{}")).code()).isEqualTo(-1);
    assertThat(http.log().requests())
        .extracting(HostRequest::url)
        .containsExactly("ftp://127.0.0.1/x", "http://127.0.0.1/x");
    assertThat(server.received()).isEmpty();
  }

  @Test
  void credentialsAreNotForwardedToAnotherHostOnRedirect() {
    OutboundHttp http = http(proxied, "example.test");
    String first = "http://a.example.test/redirect?to=http://b.example.test/hello";
    HttpReply reply =
        http.execute(
            request(
                "{\"url\":\"" + first + "\",\"headers\":{\"Authorization\":\"Bearer hunter2\"}}"));

    assertThat(doc(reply).get("status").asInt()).isEqualTo(200);
    assertThat(server.received())
        .extracting(LocalHttpServer.Received::authorization)
        .containsExactly("Bearer hunter2", null);
  }

  @Test
  void anUnresolvableHostIsADnsFailure() {
    HttpReply reply = http(direct, "*").execute(request(get("http://no-such-host.invalid/")));

    assertThat(reply.code()).isEqualTo(NetworkError.DNS_FAILURE.code());
  }

  private static String get(String url) {
    return "{\"method\":\"GET\",\"url\":\"" + url + "\"}";
  }
}
